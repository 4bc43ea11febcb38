import type { EdgeTotals } from './edge-metrics';
import type { OriginState } from './origin-pool';

/** The `/server-status` document: what an operator needs at a glance, as JSON. */
export interface ServerStatus {
  edge: string;
  uptimeSeconds: number;
  draining: boolean;
  requests: number;
  hits: number;
  misses: number;
  expired: number;
  stale: number;
  updating: number;
  bypass: number;
  refused: number;
  coalescedWaiters: number;
  upstreamRequests: number;
  upstreamInFlight: number;
  bytesSent: number;
  cache: { objects: number; bytes: number; maxBytes: number; evictions: number };
  origins: OriginState[];
  /** HTTP worker processes, when the edge runs as a cluster. */
  workers?: number;
}

export interface StatusSources {
  edge: string;
  startedAt: number;
  now: number;
  draining: boolean;
  totals: EdgeTotals;
  upstreamInFlight: number;
  cache: { objects: number; bytes: number; maxBytes: number; evictions: number };
  origins: OriginState[];
}

export function serverStatus(s: StatusSources): ServerStatus {
  const t = s.totals;
  return {
    edge: s.edge,
    uptimeSeconds: Math.floor((s.now - s.startedAt) / 1000),
    draining: s.draining,
    requests: t.requests,
    hits: t.byCacheStatus.HIT,
    misses: t.byCacheStatus.MISS,
    expired: t.byCacheStatus.EXPIRED,
    stale: t.byCacheStatus.STALE,
    updating: t.byCacheStatus.UPDATING,
    bypass: t.byCacheStatus.BYPASS,
    refused: t.refused,
    coalescedWaiters: t.coalescedWaiters,
    upstreamRequests: t.upstreamRequests,
    upstreamInFlight: s.upstreamInFlight,
    bytesSent: t.bytesSent,
    cache: s.cache,
    origins: s.origins,
  };
}

const SUMMED = ['requests', 'hits', 'misses', 'expired', 'stale', 'updating', 'bypass', 'refused', 'coalescedWaiters', 'upstreamRequests', 'upstreamInFlight', 'bytesSent'] as const;

/**
 * One edge cluster's status: the primary's (its shared cache tier, origin connections and upstream
 * counts) plus every worker's counters; cache figures add up to what the whole edge holds.
 */
export function combineStatus(primary: ServerStatus, workers: readonly ServerStatus[], workerCount: number): ServerStatus {
  const out: ServerStatus = { ...primary, cache: { ...primary.cache }, workers: workerCount };
  for (const w of workers) {
    for (const k of SUMMED) out[k] += w[k];
    out.cache.objects += w.cache.objects;
    out.cache.bytes += w.cache.bytes;
    out.cache.maxBytes += w.cache.maxBytes;
    out.cache.evictions += w.cache.evictions;
    out.draining ||= w.draining;
  }
  return out;
}
