import { Counter, Gauge, type Registry } from 'prom-client';
import type { OriginState, UpstreamOutcome } from './origin-pool';

export type CacheStatus = 'HIT' | 'MISS' | 'EXPIRED' | 'STALE' | 'UPDATING' | 'BYPASS';
export const CACHE_STATUSES: readonly CacheStatus[] = ['HIT', 'MISS', 'EXPIRED', 'STALE', 'UPDATING', 'BYPASS'];

export interface EdgeTotals {
  requests: number;
  byCacheStatus: Record<CacheStatus, number>;
  /** Requests refused before reaching the cache (bad target, method, missing secret). */
  refused: number;
  coalescedWaiters: number;
  upstreamRequests: number;
  bytesSent: number;
}

export interface CacheGauges {
  bytes(): number;
  objects(): number;
  /** The origins this process holds (none in a cluster worker). */
  origins(): readonly OriginState[];
}

/**
 * Counters for the proxy path: plain numbers, read by `/server-status`, and Prometheus series for
 * `/metrics`. The per-request ones (requests by cache status, body bytes) are counted as plain
 * numbers only and reach their Prometheus counters when those are collected, since a counter's
 * label lookup costs more than the rest of a cached answer's bookkeeping.
 */
export class EdgeMetrics {
  readonly totals: EdgeTotals = {
    requests: 0,
    byCacheStatus: { HIT: 0, MISS: 0, EXPIRED: 0, STALE: 0, UPDATING: 0, BYPASS: 0 },
    refused: 0,
    coalescedWaiters: 0,
    upstreamRequests: 0,
    bytesSent: 0,
  };
  private readonly refusedCounter: Counter<string>;
  private readonly coalesced: Counter<string>;
  private readonly upstream: Counter<'origin' | 'outcome'>;

  constructor(registry: Registry, cache: CacheGauges) {
    const totals = this.totals;
    const collected: Record<CacheStatus, number> = { HIT: 0, MISS: 0, EXPIRED: 0, STALE: 0, UPDATING: 0, BYPASS: 0 };
    new Counter({
      name: 'spherecast_edge_requests_total',
      help: 'Proxied requests by X-Media-Cache-Status',
      labelNames: ['cache_status'],
      registers: [registry],
      collect() {
        for (const s of CACHE_STATUSES) {
          const n = totals.byCacheStatus[s] - collected[s];
          if (n > 0) this.inc({ cache_status: s }, n);
          collected[s] += n;
        }
      },
    });
    let bytesCollected = 0;
    new Counter({
      name: 'spherecast_edge_response_body_bytes_total',
      help: 'Body bytes sent to clients by the proxy path',
      registers: [registry],
      collect() {
        const n = totals.bytesSent - bytesCollected;
        if (n > 0) this.inc(n);
        bytesCollected += n;
      },
    });
    this.refusedCounter = new Counter({ name: 'spherecast_edge_refused_total', help: 'Requests refused (bad target, method, secret)', registers: [registry] });
    this.coalesced = new Counter({ name: 'spherecast_edge_coalesced_waiters_total', help: 'Requests that waited on another request\'s upstream fetch instead of making their own', registers: [registry] });
    this.upstream = new Counter({
      name: 'spherecast_edge_upstream_requests_total',
      help: 'Upstream attempts per origin and outcome',
      labelNames: ['origin', 'outcome'],
      registers: [registry],
    });
    new Gauge({
      name: 'spherecast_edge_cache_bytes',
      help: 'Bytes held by the cache (bodies plus per-entry overhead)',
      registers: [registry],
      collect() {
        this.set(cache.bytes());
      },
    });
    new Gauge({
      name: 'spherecast_edge_origin_up',
      help: 'Whether each origin answers (1) or is down and only health-probed (0)',
      labelNames: ['origin'],
      registers: [registry],
      collect() {
        for (const o of cache.origins()) this.set({ origin: o.url }, o.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'spherecast_edge_cache_objects',
      help: 'Objects held by the cache',
      registers: [registry],
      collect() {
        this.set(cache.objects());
      },
    });
  }

  served(status: CacheStatus, bodyBytes: number): void {
    this.totals.requests++;
    this.totals.byCacheStatus[status]++;
    this.totals.bytesSent += bodyBytes;
  }

  refused(): void {
    this.totals.refused++;
    this.refusedCounter.inc();
  }

  coalescedWaiter(): void {
    this.totals.coalescedWaiters++;
    this.coalesced.inc();
  }

  upstreamAttempt(origin: string, outcome: UpstreamOutcome): void {
    this.totals.upstreamRequests++;
    this.upstream.inc({ origin, outcome });
  }
}
