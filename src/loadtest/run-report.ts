import type { StreamLayout } from '../shared/layout/stream-layout';
import { ERROR_KINDS, type ErrorKind } from './error-kind';
import type { HistogramData } from './latency-histogram';
import type { RequestType, Results, TypeStats } from './results';

/**
 * The raw figures of one run as written to report.json: what the HTML report and the comparison are drawn
 * from. Pure shaping of the recorded results; times are rounded to microseconds to keep the file small.
 */
export const REPORT_FORMAT = 'spherecast-loadtest/1';

export interface RunMeta {
  label: string;
  target: string;
  masterUrl: string;
  mode: 'plan' | 'player' | 'll';
  threads: number;
  rampupS: number;
  durationS: number;
  startedAt: number;
  endedAt: number;
  endReason: string;
  /** The stream's projection and stereo, from the JSON beside its master, when it has one. */
  layout?: StreamLayout;
}

export interface TypeSummary {
  requests: number;
  errors: number;
  bytes: number;
  /** Response time in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  errorKinds: Partial<Record<ErrorKind, number>>;
  statuses: Record<string, number>;
  cache: Record<string, number>;
  histogram: HistogramData;
}

export interface SecondRow {
  /** Seconds since the start. */
  t: number;
  viewers: number;
  requests: Record<RequestType, number>;
  errors: number;
  bytes: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** p90 of segments alone (playlists are small and fast; segments show the load). */
  segmentP90: number;
  cache: Record<string, number>;
  stalls: number;
}

export interface RunReport {
  format: typeof REPORT_FORMAT;
  meta: RunMeta & { startedAtIso: string; elapsedS: number };
  totals: Record<RequestType | 'all', TypeSummary>;
  throughput: { requestsPerSecond: number; bitsPerSecond: number };
  player?: { stalls: number; stalledSeconds: number; viewersStalled: number; segmentsSkipped: number };
  seconds: SecondRow[];
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

function mapToRecord<K extends string | number>(m: Map<K, number>): Record<string, number> {
  return Object.fromEntries([...m.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
}

export function summarize(s: TypeStats): TypeSummary {
  const h = s.latency;
  const errorKinds: Partial<Record<ErrorKind, number>> = {};
  for (const k of ERROR_KINDS) if (s.errorKinds.get(k)) errorKinds[k] = s.errorKinds.get(k);
  return {
    requests: s.requests,
    errors: s.errors,
    bytes: s.bytes,
    p50: r3(h.percentile(50)),
    p90: r3(h.percentile(90)),
    p99: r3(h.percentile(99)),
    max: r3(h.max),
    mean: r3(h.mean()),
    errorKinds,
    statuses: mapToRecord(s.statuses),
    cache: mapToRecord(s.cache),
    histogram: h.toJSON(),
  };
}

export function buildRunReport(results: Results, meta: RunMeta): RunReport {
  const elapsedS = Math.max(0.001, (meta.endedAt - meta.startedAt) / 1000);
  const all = results.all();
  const seconds: SecondRow[] = results.seconds().map((b, t) => {
    const a = b.all();
    const seg = b.byType.segment.latency;
    return {
      t,
      viewers: b.viewers,
      requests: { master: b.byType.master.requests, variant: b.byType.variant.requests, segment: b.byType.segment.requests },
      errors: a.errors,
      bytes: a.bytes,
      p50: r3(a.latency.percentile(50)),
      p90: r3(a.latency.percentile(90)),
      p99: r3(a.latency.percentile(99)),
      max: r3(a.latency.max),
      segmentP90: r3(seg.percentile(90)),
      cache: mapToRecord(a.cache),
      stalls: b.stalls,
    };
  });
  // The last bucket often holds only the viewers stopping: no requests, nothing to draw.
  while (seconds.length > 1) {
    const last = seconds[seconds.length - 1];
    if (last.requests.master + last.requests.variant + last.requests.segment + last.stalls > 0) break;
    seconds.pop();
  }
  return {
    format: REPORT_FORMAT,
    meta: { ...meta, startedAtIso: new Date(meta.startedAt).toISOString(), elapsedS: r3(elapsedS) },
    totals: {
      all: summarize(all),
      master: summarize(results.totals.master),
      variant: summarize(results.totals.variant),
      segment: summarize(results.totals.segment),
    },
    throughput: { requestsPerSecond: r3(all.requests / elapsedS), bitsPerSecond: Math.round((all.bytes * 8) / elapsedS) },
    ...(meta.mode !== 'plan'
      ? {
          player: {
            stalls: results.stalls,
            stalledSeconds: r3(results.stalledMs / 1000),
            viewersStalled: results.stalledViewers.size,
            segmentsSkipped: results.skippedSegments,
          },
        }
      : {}),
    seconds,
  };
}

/** Share of cache hits among responses that carried a cache status (HIT, STALE and UPDATING are served from cache). */
export function hitRatio(cache: Record<string, number>): number | undefined {
  let served = 0;
  let fromCache = 0;
  for (const [k, n] of Object.entries(cache)) {
    if (k === 'NONE') continue;
    served += n;
    if (k === 'HIT' || k === 'STALE' || k === 'UPDATING') fromCache += n;
  }
  return served ? fromCache / served : undefined;
}

/** Checks that parsed JSON is a run report this version can read. */
export function checkRunReport(data: unknown, source: string): RunReport {
  const d = data as RunReport;
  if (!d || typeof d !== 'object' || d.format !== REPORT_FORMAT || !d.meta || !d.totals || !Array.isArray(d.seconds)) {
    throw new Error(`${source} is not a spherecast load test report (${REPORT_FORMAT})`);
  }
  return d;
}
