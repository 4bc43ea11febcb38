import t from 'tap';
import { assertObjectKey, assertObjectPrefix, objectKeyProblem } from '../../src/shared/object-key';

t.test('ordinary and awkward keys are valid', async (t) => {
  for (const key of ['a.mp4', 'rec/cam 1/cam 1-1700000000.mp4', 'ü/雪/❄️.mp4', 'a+b%20c&d=e.mp4', '.hidden', 'a/.b/c', '...', 'x'.repeat(1024)]) {
    t.equal(objectKeyProblem(key), undefined, key.slice(0, 40));
  }
});

t.test('keys that could escape a folder or confuse a filesystem are refused with a reason', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    ['', /empty/],
    ['/abs', /relative/],
    ['a/../b', /"\.\."/],
    ['..', /"\.\."/],
    ['./a', /"\."/],
    ['a//b', /empty segments/],
    ['a/', /empty segments/],
    ['a\0b', /NUL/],
    ['a\nb', /control/],
    ['\uD800x', /unicode/],
    ['é'.repeat(513), /1024 bytes/],
    [42, /string/],
  ];
  for (const [key, why] of cases) t.match(objectKeyProblem(key), why, JSON.stringify(key));
  t.throws(() => assertObjectKey('../x'), { code: 'SC_ERR_BAD_PATH', message: /"\.\.\/x"/ });
});

t.test('prefixes may be empty or end with a slash, but not climb out', async (t) => {
  assertObjectPrefix('');
  assertObjectPrefix('live/');
  assertObjectPrefix('live/a');
  t.throws(() => assertObjectPrefix('../'), { code: 'SC_ERR_BAD_PATH' });
  t.throws(() => assertObjectPrefix('/x'), { code: 'SC_ERR_BAD_PATH' });
});
