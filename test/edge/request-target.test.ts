import t from 'tap';
import { checkRequestTarget, MAX_TARGET_LENGTH } from '../../src/edge/request-target';

t.test('origin-form targets pass and keep their query', async (t) => {
  t.same(checkRequestTarget('/hls/test.m3u8'), { ok: true, path: '/hls/test.m3u8' });
  t.same(checkRequestTarget('/hls/test-1.ts?x=1&y=a%20b'), { ok: true, path: '/hls/test-1.ts' });
  t.same(checkRequestTarget('/'), { ok: true, path: '/' });
  t.same(checkRequestTarget('/a..b/c.ts'), { ok: true, path: '/a..b/c.ts' }, 'dots inside a name are fine');
});

t.test('absolute-form, authority-form and asterisk-form are refused', async (t) => {
  for (const u of ['http://evil.example/x', 'https://127.0.0.1:22/', 'evil.example:443', '*', '//evil.example/x', '']) {
    t.equal(checkRequestTarget(u).ok, false, u);
  }
});

t.test('dot segments and encoded dots, slashes, backslashes and NULs are refused', async (t) => {
  for (const u of ['/../etc/passwd', '/hls/../../x', '/hls/./x', '/hls/..', '/%2e%2e/x', '/%2E./x', '/hls/.%2e/x', '/a%2fb', '/a%5cb', '/a\\..\\b', '/a%00b', '/a%zz', '/a%2', '/a\u0001b']) {
    t.equal(checkRequestTarget(u).ok, false, JSON.stringify(u));
  }
});

t.test('overlong targets are refused', async (t) => {
  t.equal(checkRequestTarget('/' + 'a'.repeat(MAX_TARGET_LENGTH)).ok, false);
  t.equal(checkRequestTarget('/' + 'a'.repeat(MAX_TARGET_LENGTH - 1)).ok, true);
});
