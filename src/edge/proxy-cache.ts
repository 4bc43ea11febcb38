import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { freshnessOf, usableOnError } from './cache-policy';
import type { CachedObject } from './cached-object';
import type { CacheStore } from './cache-store';
import { Coalescer } from './coalescer';
import type { CacheStatus, EdgeMetrics } from './edge-metrics';
import type { Fetched, ObjectSource } from './object-source';

export interface Served {
  object: CachedObject;
  cacheStatus: CacheStatus;
}

/** Result of one upstream fetch, shared by every request that waited on it. */
type Settled = { kind: 'answer'; object: CachedObject; stored: boolean } | { kind: 'failed'; object: CachedObject; stale: boolean };

export interface ProxyCacheOptions {
  store: CacheStore;
  /** The origins (OriginSource), or the primary's shared cache in a worker of a cluster. */
  source: ObjectSource;
  metrics: EdgeMetrics;
  clock: Clock;
  log: Logger;
}

/**
 * The cache in front of the origins: fresh entries are served as they are; a miss or an expired
 * entry makes one upstream fetch per key however many requests ask at once (the coalescer);
 * when every origin fails, a segment still within stale-if-error is served STALE.
 */
export class ProxyCache {
  private readonly coalescer = new Coalescer<Settled>();
  private readonly opts: ProxyCacheOptions;
  private readonly log: Logger;
  private readonly background = new Set<Promise<unknown>>();

  constructor(opts: ProxyCacheOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'proxy-cache' });
  }

  /** A fresh cached object for the fast path, or undefined when the full path must decide. */
  fresh(key: string): CachedObject | undefined {
    const obj = this.opts.store.get(key);
    return obj !== undefined && this.opts.clock.now() < obj.expiresAt ? obj : undefined;
  }

  /** `key` is the validated request target (path and query), used as the upstream path too. */
  async serve(key: string): Promise<Served> {
    const { store, clock, metrics } = this.opts;
    const entry = store.get(key);
    if (entry) {
      const freshness = freshnessOf(entry, clock.now());
      if (freshness === 'fresh') return { object: entry, cacheStatus: 'HIT' };
      if (freshness === 'updating') {
        const { result, joined } = this.coalescer.run(key, () => this.fetchAndStore(key));
        if (!joined) this.track(result);
        return { object: entry, cacheStatus: 'UPDATING' };
      }
    }
    const { result, joined } = this.coalescer.run(key, () => this.fetchAndStore(key));
    if (joined) metrics.coalescedWaiter();
    const fetched = await result;
    if (fetched.kind === 'failed') {
      const stale = entry ?? store.get(key);
      if (stale && stale.status === 200 && usableOnError(stale, clock.now())) return { object: stale, cacheStatus: 'STALE' };
      if (fetched.stale) return { object: fetched.object, cacheStatus: 'STALE' };
      return { object: fetched.object, cacheStatus: entry ? 'EXPIRED' : 'MISS' };
    }
    if (!fetched.stored) return { object: fetched.object, cacheStatus: 'BYPASS' };
    return { object: fetched.object, cacheStatus: entry ? 'EXPIRED' : 'MISS' };
  }

  private async fetchAndStore(key: string): Promise<Settled> {
    const { source, store } = this.opts;
    let fetched: Fetched;
    try {
      const previous = store.get(key);
      fetched = await source.fetch(key, previous?.status === 200 ? previous : undefined);
    } catch (err) {
      this.log.error({ err, key }, 'object source failed');
      throw err;
    }
    if (fetched.kind === 'failed') return { kind: 'failed', object: fetched.object, stale: fetched.stale === true };
    if (!fetched.store) {
      // An uncacheable answer replaces nothing, but an old copy must not outlive it either.
      store.delete(key);
      return { kind: 'answer', object: fetched.object, stored: false };
    }
    return { kind: 'answer', object: fetched.object, stored: store.set(key, fetched.object) };
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    p.finally(() => this.background.delete(p)).catch(() => undefined);
  }

  /** Background refreshes still running; awaited on shutdown. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  get inFlight(): number {
    return this.coalescer.size;
  }
}
