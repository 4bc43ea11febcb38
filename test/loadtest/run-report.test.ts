import t from 'tap';
import { Results } from '../../src/loadtest/results';
import { buildRunReport, checkRunReport, hitRatio, type RunMeta } from '../../src/loadtest/run-report';
import { renderRunReport } from '../../src/loadtest/report-html';
import { summaryText } from '../../src/loadtest/run-summary';
import { comparisonRows, renderComparison } from '../../src/loadtest/report-compare';

const START = 1_700_000_000_000;

function meta(over: Partial<RunMeta> = {}): RunMeta {
  return {
    label: 'edge <tier>',
    target: 'http://127.0.0.1:1',
    masterUrl: 'http://127.0.0.1:1/hls/test.m3u8',
    mode: 'player',
    threads: 2,
    rampupS: 1,
    durationS: 4,
    startedAt: START,
    endedAt: START + 4000,
    endReason: 'duration',
    ...over,
  };
}

function sampleResults(segmentMs: number): Results {
  const r = new Results(START);
  r.viewers(2, START);
  for (let s = 0; s < 4; s++) {
    r.record({ type: 'master', startedAt: START + s * 1000, ms: 1, bytes: 300, status: 200, cacheStatus: 'HIT' });
    r.record({ type: 'variant', startedAt: START + s * 1000 + 10, ms: 2, bytes: 400, status: 200, cacheStatus: s === 0 ? 'MISS' : 'HIT' });
    r.record({ type: 'segment', startedAt: START + s * 1000 + 20, ms: segmentMs, bytes: 125_000, status: 200, cacheStatus: 'HIT' });
  }
  r.record({ type: 'segment', startedAt: START + 3500, ms: 1, bytes: 0, error: 'reset' });
  r.stall(1, { at: START + 3600, ms: 400 });
  r.viewers(0, START + 4000);
  return r;
}

t.test('the report holds totals per type, per-second rows and player figures', async (t) => {
  const rep = buildRunReport(sampleResults(20), meta());
  t.equal(rep.totals.all.requests, 13);
  t.equal(rep.totals.segment.requests, 5);
  t.same(rep.totals.segment.errorKinds, { reset: 1 });
  t.same(rep.totals.all.cache, { HIT: 11, MISS: 1 });
  t.equal(rep.seconds.length, 4, 'the trailing second with only viewers leaving is dropped');
  t.same(rep.seconds[0].requests, { master: 1, variant: 1, segment: 1 });
  t.equal(rep.seconds[3].stalls, 1);
  t.ok(Math.abs(rep.seconds[0].segmentP90 - 20) < 0.2);
  t.same(rep.player, { stalls: 1, stalledSeconds: 0.4, viewersStalled: 1, segmentsSkipped: 0 });
  t.equal(rep.throughput.requestsPerSecond, 3.25);
  t.equal(rep.throughput.bitsPerSecond, Math.round(((4 * 125_000 + 4 * 700) * 8) / 4));
  t.equal(rep.meta.startedAtIso, new Date(START).toISOString());
  const back = checkRunReport(JSON.parse(JSON.stringify(rep)), 'x');
  t.same(back, rep, 'survives JSON');
  t.throws(() => checkRunReport({ format: 'other' }, 'a.json'), /a\.json is not a spherecast load test report/);
  t.equal(buildRunReport(sampleResults(20), meta({ mode: 'plan' })).player, undefined, 'no playback figures in plan mode');
});

t.test('hit ratio counts HIT, STALE and UPDATING among responses with a cache status', async (t) => {
  t.equal(hitRatio({ HIT: 3, MISS: 1 }), 0.75);
  t.equal(hitRatio({ HIT: 1, STALE: 1, UPDATING: 1, EXPIRED: 1, NONE: 100 }), 0.75);
  t.equal(hitRatio({ NONE: 5 }), undefined, 'an origin sends no cache status: no ratio');
});

t.test('the HTML report is self-contained, escapes text and draws one line per series', async (t) => {
  const html = renderRunReport(buildRunReport(sampleResults(20), meta()));
  t.notMatch(html, /<script|<link|src=|https?:\/\/(?!127\.0\.0\.1)/, 'no script, stylesheet link or remote resource');
  t.match(html, /edge &lt;tier&gt;/);
  t.notMatch(html, /edge <tier>/);
  const rt = /<figure class="chart" id="chart-response-time">(.*?)<\/figure>/s.exec(html)![1];
  const lines = [...rt.matchAll(/<polyline data-series="([^"]+)"[^>]* points="([^"]+)"/g)];
  t.same(lines.map((l) => l[1]), ['p50', 'p90', 'p99', 'segments p90']);
  t.equal(lines[0][2].split(' ').length, 4, 'one point per second');
  for (const id of ['chart-throughput', 'chart-bandwidth', 'chart-hit-ratio', 'chart-viewers']) t.match(html, `id="${id}"`);
  t.match(html, /reset/, 'errors by kind are listed');
});

t.test('the comparison puts both runs in one table with B/A and both lines in each chart', async (t) => {
  const a = buildRunReport(sampleResults(40), meta({ label: 'origin' }));
  const b = buildRunReport(sampleResults(10), meta({ label: 'edge' }));
  const rows = comparisonRows(a, b);
  const seg = rows.find((r) => r.metric === 'p90, segment')!;
  t.equal(seg.ratio, `${(b.totals.segment.p90 / a.totals.segment.p90).toFixed(2)}×`);
  t.ok(b.totals.segment.p90 < a.totals.segment.p90);
  t.equal(rows.find((r) => r.metric === 'stalls')!.a, '1');
  const html = renderComparison(a, b);
  const p90 = /<figure class="chart" id="chart-segment-p90">(.*?)<\/figure>/s.exec(html)![1];
  t.same([...p90.matchAll(/<polyline data-series="([^"]+)"/g)].map((m) => m[1]), ['A: origin', 'B: edge']);
});

t.test('the stream\'s layout is named in the report page and the summary when it is known', async (t) => {
  const rep = buildRunReport(sampleResults(20), meta({ layout: { projection: 'equirect', stereo: 'top-bottom' } }));
  t.same(rep.meta.layout, { projection: 'equirect', stereo: 'top-bottom' });
  t.match(renderRunReport(rep), /2 viewers, layout equirect, top-bottom, ramp-up/);
  t.match(summaryText(rep), /^load test edge <tier>: player mode, 2 viewers, layout equirect, top-bottom, /);
  t.notMatch(renderRunReport(buildRunReport(sampleResults(20), meta())), /layout/, 'nothing when unknown');
});
