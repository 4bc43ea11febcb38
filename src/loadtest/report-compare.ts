import { bitRate, card, ms, percent, reportPage, table } from './report-page';
import { describeRun } from './report-html';
import { hitRatio, type RunReport, type SecondRow } from './run-report';
import { escapeHtml, lineChart } from './svg-chart';

/**
 * Two runs side by side (origin vs edge, edge vs CDN), as the workshop compares its JMeter reports:
 * one table of the headline figures with the ratio B/A, and each chart with both runs on one time axis.
 */
export interface ComparisonRow {
  metric: string;
  a: string;
  b: string;
  /** B relative to A, e.g. "0.25×"; empty when not meaningful. */
  ratio: string;
}

function ratio(a: number, b: number): string {
  if (!(a > 0) || !Number.isFinite(b)) return '';
  return `${(b / a).toFixed(2)}×`;
}

export function comparisonRows(a: RunReport, b: RunReport): ComparisonRow[] {
  const row = (metric: string, va: number, vb: number, fmt: (n: number) => string): ComparisonRow => ({ metric, a: fmt(va), b: fmt(vb), ratio: ratio(va, vb) });
  const int = (n: number) => String(n);
  const rows = [
    row('viewers', a.meta.threads, b.meta.threads, int),
    row('requests', a.totals.all.requests, b.totals.all.requests, int),
    row('errors', a.totals.all.errors, b.totals.all.errors, int),
    row('throughput (req/s)', a.throughput.requestsPerSecond, b.throughput.requestsPerSecond, (n) => n.toFixed(1)),
    row('bandwidth', a.throughput.bitsPerSecond, b.throughput.bitsPerSecond, bitRate),
    row('p50, all', a.totals.all.p50, b.totals.all.p50, ms),
    row('p90, all', a.totals.all.p90, b.totals.all.p90, ms),
    row('p99, all', a.totals.all.p99, b.totals.all.p99, ms),
    row('max, all', a.totals.all.max, b.totals.all.max, ms),
    row('p90, master', a.totals.master.p90, b.totals.master.p90, ms),
    row('p90, variant', a.totals.variant.p90, b.totals.variant.p90, ms),
    row('p90, segment', a.totals.segment.p90, b.totals.segment.p90, ms),
  ];
  const ha = hitRatio(a.totals.all.cache);
  const hb = hitRatio(b.totals.all.cache);
  rows.push({ metric: 'cache hit ratio', a: percent(ha), b: percent(hb), ratio: '' });
  if (a.player || b.player) {
    rows.push(row('stalls', a.player?.stalls ?? 0, b.player?.stalls ?? 0, int));
  }
  return rows;
}

export function renderComparison(a: RunReport, b: RunReport): string {
  const la = `A: ${a.meta.label}`;
  const lb = `B: ${b.meta.label}`;
  const pts = (r: RunReport, f: (x: SecondRow) => number | null) => r.seconds.map((x) => [x.t, f(x)] as const);
  const any = (x: SecondRow) => x.requests.master + x.requests.variant + x.requests.segment > 0;
  const both = (id: string, title: string, yLabel: string, f: (x: SecondRow) => number | null, yMax?: number) =>
    lineChart({
      id,
      title,
      xLabel: 'seconds since start',
      yLabel,
      yMax,
      series: [
        { name: la, color: '#1565c0', points: pts(a, f) },
        { name: lb, color: '#c62828', dashed: true, points: pts(b, f) },
      ],
    });
  const charts = [
    both('chart-p90', 'Response time p90, all requests', 'ms', (x) => (any(x) ? x.p90 : null)),
    both('chart-p99', 'Response time p99, all requests', 'ms', (x) => (any(x) ? x.p99 : null)),
    both('chart-segment-p90', 'Response time p90, segments', 'ms', (x) => (x.requests.segment ? x.segmentP90 : null)),
    both('chart-throughput', 'Throughput', 'requests/s', (x) => x.requests.master + x.requests.variant + x.requests.segment),
    both('chart-hit-ratio', 'Cache hit ratio', '%', (x) => { const h = hitRatio(x.cache); return h === undefined ? null : h * 100; }, 100),
  ];
  const body = `
<h1>Load test comparison</h1>
<p class="meta"><b>${escapeHtml(la)}</b>: ${escapeHtml(a.meta.masterUrl)} (${escapeHtml(describeRun(a))})<br>
<b>${escapeHtml(lb)}</b>: ${escapeHtml(b.meta.masterUrl)} (${escapeHtml(describeRun(b))})</p>
<div class="cards">${card(`p90 ${la}`, ms(a.totals.all.p90))}${card(`p90 ${lb}`, ms(b.totals.all.p90))}${card('errors A / B', `${a.totals.all.errors} / ${b.totals.all.errors}`, a.totals.all.errors + b.totals.all.errors > 0)}</div>
<h2>Figures</h2>${table(comparisonRows(a, b), [
    { head: 'metric', cell: (r) => r.metric },
    { head: la, cell: (r) => r.a },
    { head: lb, cell: (r) => r.b },
    { head: 'B / A', cell: (r) => r.ratio },
  ])}
<h2>Charts</h2>${charts.join('\n')}`;
  return reportPage(`Load test comparison: ${a.meta.label} vs ${b.meta.label}`, body);
}
