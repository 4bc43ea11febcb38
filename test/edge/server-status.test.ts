// The cluster's /server-status: the primary's figures plus every worker's, on inline documents.
import t from 'tap';
import { combineStatus, type ServerStatus } from '../../src/edge/server-status';

const base = (over: Partial<ServerStatus>): ServerStatus => ({
  edge: 'e1',
  uptimeSeconds: 10,
  draining: false,
  requests: 0,
  hits: 0,
  misses: 0,
  expired: 0,
  stale: 0,
  updating: 0,
  bypass: 0,
  refused: 0,
  coalescedWaiters: 0,
  upstreamRequests: 0,
  upstreamInFlight: 0,
  bytesSent: 0,
  cache: { objects: 0, bytes: 0, maxBytes: 100, evictions: 0 },
  origins: [],
  ...over,
});

t.test('worker counters and caches add up; origins and identity come from the primary', async (t) => {
  const origin = { url: 'http://o', up: true, nextProbeAt: null, passedOverUntil: null, requests: 3, failures: 0, lastError: null };
  const primary = base({ upstreamRequests: 3, coalescedWaiters: 2, cache: { objects: 2, bytes: 20, maxBytes: 100, evictions: 1 }, origins: [origin] });
  const w1 = base({ edge: 'ignored', requests: 10, hits: 7, misses: 3, bytesSent: 1000, cache: { objects: 2, bytes: 20, maxBytes: 100, evictions: 0 } });
  const w2 = base({ requests: 5, hits: 5, bytesSent: 500, coalescedWaiters: 1, draining: true, cache: { objects: 1, bytes: 10, maxBytes: 100, evictions: 2 } });
  const all = combineStatus(primary, [w1, w2], 2);
  t.match(all, { edge: 'e1', workers: 2, requests: 15, hits: 12, misses: 3, bytesSent: 1500, upstreamRequests: 3, coalescedWaiters: 3, draining: true });
  t.same(all.cache, { objects: 5, bytes: 50, maxBytes: 300, evictions: 3 });
  t.same(all.origins, [origin]);
  t.same(primary.cache, { objects: 2, bytes: 20, maxBytes: 100, evictions: 1 }, 'the inputs are left alone');
});
