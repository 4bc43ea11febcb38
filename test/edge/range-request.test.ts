import t from 'tap';
import { ifRangeMatches, parseRange } from '../../src/edge/range-request';

t.test('single byte ranges', async (t) => {
  t.same(parseRange('bytes=0-99', 1000), { kind: 'range', start: 0, end: 99 });
  t.same(parseRange('bytes=900-', 1000), { kind: 'range', start: 900, end: 999 });
  t.same(parseRange('bytes=-100', 1000), { kind: 'range', start: 900, end: 999 });
  t.same(parseRange('bytes=-5000', 1000), { kind: 'range', start: 0, end: 999 });
  t.same(parseRange('bytes=990-5000', 1000), { kind: 'range', start: 990, end: 999 }, 'end clamped');
});

t.test('unsatisfiable ranges', async (t) => {
  t.same(parseRange('bytes=1000-', 1000), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=5000-6000', 1000), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=-0', 1000), { kind: 'unsatisfiable' });
});

t.test('absent, malformed or multi-range headers are ignored (full answer)', async (t) => {
  for (const h of [undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=9-3', 'bytes=a-b']) {
    t.same(parseRange(h, 1000), { kind: 'none' }, String(h));
  }
});

t.test('If-Range matches a strong ETag or the exact date', async (t) => {
  t.equal(ifRangeMatches(undefined, '"a"', undefined), true);
  t.equal(ifRangeMatches('"a"', '"a"', undefined), true);
  t.equal(ifRangeMatches('"b"', '"a"', undefined), false);
  t.equal(ifRangeMatches('W/"a"', 'W/"a"', undefined), false, 'weak validators never match If-Range');
  t.equal(ifRangeMatches('Tue, 01 Jan 2030 00:00:00 GMT', undefined, 'Tue, 01 Jan 2030 00:00:00 GMT'), true);
  t.equal(ifRangeMatches('Tue, 01 Jan 2030 00:00:00 GMT', undefined, 'Wed, 02 Jan 2030 00:00:00 GMT'), false);
});
