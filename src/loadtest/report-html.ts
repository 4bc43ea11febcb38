import { describeLayout } from '../shared/layout/stream-layout';
import { ERROR_KINDS } from './error-kind';
import { bitRate, bytes, card, ms, percent, reportPage, table } from './report-page';
import { hitRatio, type RunReport, type TypeSummary } from './run-report';
import { escapeHtml, lineChart } from './svg-chart';

/** The HTML report of one run, like JMeter's dashboard: summary, per-type tables and charts over time. */
const TYPES = ['master', 'variant', 'segment', 'all'] as const;
export const COLORS = { p50: '#2f7d32', p90: '#1565c0', p99: '#c62828', seg: '#6a1b9a', master: '#ef6c00', variant: '#00838f', segment: '#3949ab', errors: '#c62828', viewers: '#546e7a' };

export function describeRun(r: RunReport): string {
  const m = r.meta;
  const layout = m.layout ? `, layout ${describeLayout(m.layout)}` : '';
  return `${m.mode} mode, ${m.threads} viewers${layout}, ramp-up ${m.rampupS} s, duration ${m.durationS} s, started ${m.startedAtIso}, ran ${m.elapsedS} s (${m.endReason})`;
}

export function runCharts(r: RunReport): string[] {
  const rows = r.seconds;
  const pts = (f: (row: RunReport['seconds'][number]) => number | null) => rows.map((row) => [row.t, f(row)] as const);
  const has = (row: RunReport['seconds'][number]) => row.requests.master + row.requests.variant + row.requests.segment > 0;
  const charts = [
    lineChart({
      id: 'chart-response-time',
      title: 'Response time over time (per second of request start)',
      xLabel: 'seconds since start',
      yLabel: 'ms',
      series: [
        { name: 'p50', color: COLORS.p50, points: pts((x) => (has(x) ? x.p50 : null)) },
        { name: 'p90', color: COLORS.p90, points: pts((x) => (has(x) ? x.p90 : null)) },
        { name: 'p99', color: COLORS.p99, points: pts((x) => (has(x) ? x.p99 : null)) },
        { name: 'segments p90', color: COLORS.seg, dashed: true, points: pts((x) => (x.requests.segment ? x.segmentP90 : null)) },
      ],
    }),
    lineChart({
      id: 'chart-throughput',
      title: 'Throughput (requests per second)',
      xLabel: 'seconds since start',
      yLabel: 'requests/s',
      series: [
        { name: 'master', color: COLORS.master, points: pts((x) => x.requests.master) },
        { name: 'variant', color: COLORS.variant, points: pts((x) => x.requests.variant) },
        { name: 'segment', color: COLORS.segment, points: pts((x) => x.requests.segment) },
        { name: 'errors', color: COLORS.errors, points: pts((x) => x.errors) },
      ],
    }),
    lineChart({
      id: 'chart-bandwidth',
      title: 'Bandwidth received',
      xLabel: 'seconds since start',
      yLabel: 'Mbit/s',
      series: [{ name: 'Mbit/s', color: COLORS.segment, points: pts((x) => (x.bytes * 8) / 1e6) }],
    }),
    lineChart({
      id: 'chart-hit-ratio',
      title: 'Cache hit ratio (X-Media-Cache-Status HIT, STALE, UPDATING)',
      xLabel: 'seconds since start',
      yLabel: '%',
      yMax: 100,
      series: [{ name: 'hit ratio', color: COLORS.p50, points: pts((x) => { const h = hitRatio(x.cache); return h === undefined ? null : h * 100; }) }],
    }),
    lineChart({
      id: 'chart-viewers',
      title: r.player ? 'Viewers and stalls' : 'Viewers',
      xLabel: 'seconds since start',
      yLabel: 'count',
      series: [
        { name: 'viewers', color: COLORS.viewers, points: pts((x) => x.viewers) },
        ...(r.player ? [{ name: 'stalls', color: COLORS.errors, points: pts((x) => x.stalls) }] : []),
      ],
    }),
  ];
  return charts;
}

function typeRows(r: RunReport): Array<{ name: string; s: TypeSummary }> {
  return TYPES.map((name) => ({ name, s: r.totals[name] }));
}

export function renderRunReport(r: RunReport): string {
  const all = r.totals.all;
  const errRate = all.requests ? all.errors / all.requests : 0;
  const cards = [
    card('requests', String(all.requests)),
    card('errors', `${all.errors} (${percent(errRate)})`, all.errors > 0),
    card('throughput', `${r.throughput.requestsPerSecond.toFixed(1)} req/s`),
    card('bandwidth', bitRate(r.throughput.bitsPerSecond)),
    card('p50 / p90', `${ms(all.p50)} / ${ms(all.p90)}`),
    card('p99 / max', `${ms(all.p99)} / ${ms(all.max)}`),
    card('cache hit ratio', percent(hitRatio(all.cache))),
    ...(r.player ? [card('stalls', `${r.player.stalls} (${r.player.viewersStalled} viewers)`, r.player.stalls > 0)] : []),
  ];
  const types = table(typeRows(r), [
    { head: 'request', cell: (x) => x.name },
    { head: 'count', cell: (x) => x.s.requests },
    { head: 'errors', cell: (x) => x.s.errors },
    { head: 'p50', cell: (x) => ms(x.s.p50) },
    { head: 'p90', cell: (x) => ms(x.s.p90) },
    { head: 'p99', cell: (x) => ms(x.s.p99) },
    { head: 'max', cell: (x) => ms(x.s.max) },
    { head: 'mean', cell: (x) => ms(x.s.mean) },
    { head: 'received', cell: (x) => bytes(x.s.bytes) },
  ]);
  const kinds = ERROR_KINDS.filter((k) => TYPES.some((t) => r.totals[t].errorKinds[k]));
  const errors = kinds.length
    ? table(typeRows(r), [{ head: 'request', cell: (x) => x.name }, ...kinds.map((k) => ({ head: k, cell: (x: { s: TypeSummary }) => x.s.errorKinds[k] ?? 0 }))])
    : '<p>No errors.</p>';
  const statuses = [...new Set(TYPES.flatMap((t) => Object.keys(r.totals[t].cache)))].sort();
  const cache = table(typeRows(r), [
    { head: 'request', cell: (x) => x.name },
    ...statuses.map((c) => ({ head: c, cell: (x: { s: TypeSummary }) => x.s.cache[c] ?? 0 })),
    { head: 'hit ratio', cell: (x) => percent(hitRatio(x.s.cache)) },
  ]);
  const codes = [...new Set(TYPES.flatMap((t) => Object.keys(r.totals[t].statuses)))].sort();
  const http = table(typeRows(r), [{ head: 'request', cell: (x) => x.name }, ...codes.map((c) => ({ head: c, cell: (x: { s: TypeSummary }) => x.s.statuses[c] ?? 0 }))]);
  const player = r.player
    ? `<h2>Playback</h2>${table([r.player], [
        { head: 'stalls', cell: (p) => p.stalls },
        { head: 'stalled time', cell: (p) => `${p.stalledSeconds} s` },
        { head: 'viewers that stalled', cell: (p) => p.viewersStalled },
        { head: 'segments skipped', cell: (p) => p.segmentsSkipped },
      ])}<p class="note">A stall is a segment that arrived after the player's buffer had run dry (or a buffer still empty when the run ended).</p>`
    : '';
  const body = `
<h1>Load test: ${escapeHtml(r.meta.label)}</h1>
<p class="meta">${escapeHtml(r.meta.masterUrl)}<br>${escapeHtml(describeRun(r))}</p>
<div class="cards">${cards.join('')}</div>
<h2>Response times by request</h2>${types}
${player}
<h2>Charts</h2>${runCharts(r).join('\n')}
<h2>Errors by kind</h2>${errors}
<h2>Cache status (X-Media-Cache-Status)</h2>${cache}
<p class="note">NONE: the response carried no cache status (an origin answers without one).</p>
<h2>HTTP status codes</h2>${http}
<p class="note">Raw figures: report.json in this folder. Percentiles come from log-spaced histograms (within about 1 %).</p>`;
  return reportPage(`Load test ${r.meta.label}`, body);
}
