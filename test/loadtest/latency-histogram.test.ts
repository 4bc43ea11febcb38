import t from 'tap';
import { LatencyHistogram, bucketEdge, bucketOf } from '../../src/loadtest/latency-histogram';

t.test('percentiles of a known spread are within 1 % of the exact ones', async (t) => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i);
  for (const [p, exact] of [[50, 500], [90, 900], [99, 990], [100, 1000]] as const) {
    const v = h.percentile(p);
    t.ok(v >= exact && v <= exact * 1.01, `p${p} = ${v}, exact ${exact}`);
  }
  t.equal(h.count, 1000);
  t.equal(h.max, 1000);
  t.equal(h.min, 1);
  t.equal(h.mean(), 500.5);
});

t.test('a value sits in the bucket whose upper edge is at or just above it', async (t) => {
  for (const v of [0.02, 0.5, 1, 3.3, 47, 999, 12_345, 60_000]) {
    const i = bucketOf(v);
    t.ok(bucketEdge(i) >= v * (1 - 1e-9) && bucketEdge(i - 1) < v, `${v} in (${bucketEdge(i - 1)}, ${bucketEdge(i)}]`);
  }
  t.equal(bucketOf(0), 0, 'zero and negatives land in the first bucket');
});

t.test('an empty histogram reads 0; one sample reads that sample', async (t) => {
  const h = new LatencyHistogram();
  t.equal(h.percentile(99), 0);
  t.equal(h.mean(), 0);
  h.record(7.25);
  t.equal(h.percentile(50), 7.25, 'clamped to the exact max/min');
});

t.test('merging and the JSON round trip keep counts and percentiles', async (t) => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let i = 0; i < 90; i++) a.record(10);
  for (let i = 0; i < 10; i++) b.record(200);
  const m = new LatencyHistogram();
  m.merge(a);
  m.merge(b);
  t.equal(m.count, 100);
  t.ok(Math.abs(m.percentile(90) - 10) < 0.11, `p90 ${m.percentile(90)}`);
  t.ok(Math.abs(m.percentile(95) - 200) < 2.1, `p95 ${m.percentile(95)}`);
  const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(m.toJSON())), { max: m.max, min: m.min });
  t.equal(back.count, 100);
  t.equal(back.percentile(95), m.percentile(95));
  t.equal(m.toJSON().length, 2, 'sparse: one pair per occupied bucket');
});
