import type { Registry } from 'prom-client';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { createMetricsRegistry } from '../shared/metrics';
import { CacheStore } from './cache-store';
import { cachePolicyOf, heldRequestsOf, originPoolOf, type EdgeConfig } from './config';
import { EdgeMetrics } from './edge-metrics';
import type { ObjectSource } from './object-source';
import type { OriginPool } from './origin-pool';
import { OriginSource } from './origin-source';
import { ProxyCache } from './proxy-cache';
import { serverStatus, type ServerStatus } from './server-status';

export interface CacheTierOptions {
  config: EdgeConfig;
  clock: Clock;
  log: Logger;
  /** Where misses go; default: the configured origins (a cluster worker passes its link to the primary). */
  source?: ObjectSource;
}

/**
 * One process's cache with what feeds and measures it: the byte-bounded store, its metrics, the
 * object source (the origins, or a cluster's primary) and the coalescing proxy in front of them.
 * The single-process edge, every cluster worker and the cluster primary each hold one.
 */
export class CacheTier {
  readonly registry: Registry;
  readonly store: CacheStore;
  readonly metrics: EdgeMetrics;
  /** Null when misses go to a cluster's primary, which holds the origin connections. */
  readonly origins: OriginPool | null;
  readonly proxy: ProxyCache;
  private readonly clock: Clock;
  private readonly startedAt: number;

  constructor(opts: CacheTierOptions) {
    const { config, clock, log } = opts;
    this.clock = clock;
    this.startedAt = clock.now();
    this.registry = createMetricsRegistry('edge');
    this.store = new CacheStore({ maxBytes: config.cacheMaxBytes, clock });
    this.metrics = new EdgeMetrics(this.registry, { bytes: () => this.store.bytes, objects: () => this.store.objects, origins: () => this.origins?.status() ?? [] });
    let source = opts.source;
    if (source) {
      this.origins = null;
    } else {
      this.origins = originPoolOf(config, clock, log, (origin, outcome) => this.metrics.upstreamAttempt(origin, outcome));
      source = new OriginSource({ origins: this.origins, policy: cachePolicyOf(config), clock, log, handledBy: config.edgeId, held: heldRequestsOf(config) });
    }
    this.proxy = new ProxyCache({ store: this.store, source, metrics: this.metrics, clock, log });
  }

  /** Starts probing the origins (none in a cluster worker, whose primary holds them). */
  start(): void {
    this.origins?.start();
  }

  status(edge: string, draining: boolean): ServerStatus {
    return serverStatus({
      edge,
      startedAt: this.startedAt,
      now: this.clock.now(),
      draining,
      totals: this.metrics.totals,
      upstreamInFlight: this.proxy.inFlight,
      cache: { objects: this.store.objects, bytes: this.store.bytes, maxBytes: this.store.maxBytes, evictions: this.store.evictions },
      origins: this.origins?.status() ?? [],
    });
  }

  /** Waits for background refreshes, then releases the origin connections. */
  async close(): Promise<void> {
    await this.proxy.settled();
    await this.origins?.close();
  }
}
