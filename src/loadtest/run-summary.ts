import { describeLayout } from '../shared/layout/stream-layout';
import { bitRate, ms, percent } from './report-page';
import { hitRatio, type RunReport } from './run-report';

/** The few lines printed when a run ends (the full figures are in the report). */
export function summaryText(r: RunReport, files?: { html: string; json: string }): string {
  const layout = r.meta.layout ? `, layout ${describeLayout(r.meta.layout)}` : '';
  const lines = [`load test ${r.meta.label}: ${r.meta.mode} mode, ${r.meta.threads} viewers${layout}, ${r.meta.elapsedS} s (${r.meta.endReason})`];
  for (const t of ['master', 'variant', 'segment', 'all'] as const) {
    const s = r.totals[t];
    lines.push(
      `  ${t.padEnd(8)} ${String(s.requests).padStart(8)} requests  ${String(s.errors).padStart(6)} errors  p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`,
    );
  }
  const kinds = Object.entries(r.totals.all.errorKinds).map(([k, n]) => `${k} ${n}`);
  lines.push(`  errors by kind: ${kinds.length ? kinds.join(', ') : 'none'}`);
  lines.push(`  throughput ${r.throughput.requestsPerSecond.toFixed(1)} req/s, ${bitRate(r.throughput.bitsPerSecond)}; cache hit ratio ${percent(hitRatio(r.totals.all.cache))}`);
  if (r.player) lines.push(`  stalls ${r.player.stalls} (${r.player.viewersStalled} viewers, ${r.player.stalledSeconds} s), segments skipped ${r.player.segmentsSkipped}`);
  if (files) lines.push(`  report: ${files.html}`, `  raw figures: ${files.json}`);
  return lines.join('\n') + '\n';
}
