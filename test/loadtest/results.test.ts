import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import { Results } from '../../src/loadtest/results';

t.test('samples land in the second they started, by type, with bytes, statuses and cache status', async (t) => {
  const clock = new ManualClock();
  const r = new Results(clock.now());
  r.record({ type: 'master', startedAt: clock.now() + 100, ms: 3, bytes: 200, status: 200 });
  r.record({ type: 'segment', startedAt: clock.now() + 900, ms: 40, bytes: 100_000, status: 200, cacheStatus: 'MISS' });
  r.record({ type: 'segment', startedAt: clock.now() + 1200, ms: 2, bytes: 100_000, status: 200, cacheStatus: 'HIT' });
  r.record({ type: 'variant', startedAt: clock.now() + 2500, ms: 5, bytes: 0, status: 502, error: 'http_5xx', cacheStatus: 'MISS' });
  r.record({ type: 'segment', startedAt: clock.now() + 2600, ms: 1, bytes: 0, error: 'connect' });
  const s = r.seconds();
  t.equal(s.length, 3);
  t.equal(s[0].byType.master.requests, 1);
  t.equal(s[0].byType.segment.requests, 1);
  t.equal(s[1].byType.segment.requests, 1);
  t.equal(s[2].all().errors, 2);
  t.equal(r.totals.segment.requests, 3);
  t.equal(r.totals.segment.bytes, 200_000);
  t.same(Object.fromEntries(r.totals.segment.cache), { MISS: 1, HIT: 1 }, 'no response, no cache status');
  t.same(Object.fromEntries(r.totals.master.cache), { NONE: 1 }, 'a response without the header counts as NONE');
  t.same(Object.fromEntries(r.all().errorKinds), { http_5xx: 1, connect: 1 });
  t.same(Object.fromEntries(r.totals.variant.statuses), { 502: 1 });
  t.equal(r.all().requests, 5);
});

t.test('a window merges the whole seconds in it', async (t) => {
  const start = 1_000_000;
  const r = new Results(start);
  for (let i = 0; i < 50; i++) r.record({ type: 'segment', startedAt: start + i * 100, ms: i, bytes: 10, status: 200 });
  const w = r.window(start + 1000, start + 3000);
  t.equal(w.requests, 20, 'seconds 1 and 2');
  t.equal(w.latency.min, 10);
  t.equal(w.latency.max, 29);
  t.equal(r.window(start, start + 999).requests, 0, 'the current second is not complete yet');
});

t.test('viewers, stalls and skipped segments are tracked per second', async (t) => {
  const start = 5_000;
  const r = new Results(start);
  r.viewers(1, start);
  r.viewers(2, start + 400);
  r.viewers(1, start + 2100);
  r.stall(0, { at: start + 2200, ms: 700 });
  r.stall(0, { at: start + 2300, ms: 300 });
  r.skipped(2);
  const s = r.seconds();
  t.equal(s[0].viewers, 2, 'the most viewers seen in the second');
  t.equal(s[1].viewers, 2, 'a second with no change inherits the count');
  t.equal(s[2].stalls, 2);
  t.equal(r.stalls, 2);
  t.equal(r.stalledMs, 1000);
  t.equal(r.stalledViewers.size, 1);
  t.equal(r.skippedSegments, 2);
  t.equal(r.activeViewers, 1);
});
