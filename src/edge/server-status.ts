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
