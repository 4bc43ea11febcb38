import type { ErrorKind } from './error-kind';
import { LatencyHistogram } from './latency-histogram';
import type { StallEvent } from './playback-buffer';

/**
 * Everything a run measures, kept in per-second buckets (by request start time, as JMeter does) so the
 * report can draw it over time and the totals are sums of the buckets. Recording never throws.
 */
export type RequestType = 'master' | 'variant' | 'segment';
export const REQUEST_TYPES: readonly RequestType[] = ['master', 'variant', 'segment'];

/** Cache status of a response without X-Media-Cache-Status (the origin, or an error page). */
export const NO_CACHE_STATUS = 'NONE';

export interface Sample {
  type: RequestType;
  /** Wall time the request started (ms). */
  startedAt: number;
  /** Response time to the last body byte, or to the failure (ms). */
  ms: number;
  bytes: number;
  /** HTTP status; absent when no response came. */
  status?: number;
  error?: ErrorKind;
  /** X-Media-Cache-Status of the response. */
  cacheStatus?: string;
}

export class TypeStats {
  requests = 0;
  errors = 0;
  bytes = 0;
  readonly latency = new LatencyHistogram();
  readonly errorKinds = new Map<ErrorKind, number>();
  readonly statuses = new Map<number, number>();
  readonly cache = new Map<string, number>();

  add(s: Sample): void {
    this.requests++;
    this.bytes += s.bytes;
    this.latency.record(s.ms);
    if (s.error) {
      this.errors++;
      this.errorKinds.set(s.error, (this.errorKinds.get(s.error) ?? 0) + 1);
    }
    if (s.status !== undefined) {
      this.statuses.set(s.status, (this.statuses.get(s.status) ?? 0) + 1);
      const c = s.cacheStatus ?? NO_CACHE_STATUS;
      this.cache.set(c, (this.cache.get(c) ?? 0) + 1);
    }
  }

  merge(o: TypeStats): void {
    this.requests += o.requests;
    this.errors += o.errors;
    this.bytes += o.bytes;
    this.latency.merge(o.latency);
    for (const [k, n] of o.errorKinds) this.errorKinds.set(k, (this.errorKinds.get(k) ?? 0) + n);
    for (const [k, n] of o.statuses) this.statuses.set(k, (this.statuses.get(k) ?? 0) + n);
    for (const [k, n] of o.cache) this.cache.set(k, (this.cache.get(k) ?? 0) + n);
  }
}

export class SecondBucket {
  readonly byType: Record<RequestType, TypeStats> = { master: new TypeStats(), variant: new TypeStats(), segment: new TypeStats() };
  /** Most viewers running during this second. */
  viewers = 0;
  stalls = 0;
  stalledMs = 0;

  all(): TypeStats {
    const t = new TypeStats();
    for (const k of REQUEST_TYPES) t.merge(this.byType[k]);
    return t;
  }
}

export class Results {
  private readonly buckets: SecondBucket[] = [];
  readonly totals: Record<RequestType, TypeStats> = { master: new TypeStats(), variant: new TypeStats(), segment: new TypeStats() };
  stalls = 0;
  stalledMs = 0;
  /** Viewers that stalled at least once. */
  readonly stalledViewers = new Set<number>();
  /** Segments a player never fetched because the live window had moved past them. */
  skippedSegments = 0;
  private viewersNow = 0;

  constructor(readonly startedAt: number) {}

  /** The bucket of wall time `at`; times before the start land in the first. */
  bucketAt(at: number): SecondBucket {
    const i = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    while (this.buckets.length <= i) {
      const b = new SecondBucket();
      b.viewers = this.viewersNow;
      this.buckets.push(b);
    }
    return this.buckets[i];
  }

  record(s: Sample): void {
    this.bucketAt(s.startedAt).byType[s.type].add(s);
    this.totals[s.type].add(s);
  }

  stall(viewer: number, ev: StallEvent): void {
    const b = this.bucketAt(ev.at);
    b.stalls++;
    b.stalledMs += ev.ms;
    this.stalls++;
    this.stalledMs += ev.ms;
    this.stalledViewers.add(viewer);
  }

  skipped(n: number): void {
    this.skippedSegments += n;
  }

  viewers(n: number, at: number): void {
    // Seconds skipped over since the last change had the old count all along.
    const b = this.bucketAt(at);
    this.viewersNow = n;
    b.viewers = Math.max(b.viewers, n);
  }

  get activeViewers(): number {
    return this.viewersNow;
  }

  seconds(): readonly SecondBucket[] {
    return this.buckets;
  }

  all(): TypeStats {
    const t = new TypeStats();
    for (const k of REQUEST_TYPES) t.merge(this.totals[k]);
    return t;
  }

  /** All requests started in [from, to) wall time, merged (for the progress line). */
  window(from: number, to: number): TypeStats {
    const out = new TypeStats();
    const first = Math.max(0, Math.floor((from - this.startedAt) / 1000));
    const last = Math.floor((to - this.startedAt) / 1000);
    for (let i = first; i < Math.min(last, this.buckets.length); i++) out.merge(this.buckets[i].all());
    return out;
  }
}
