import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { decideStorage, freshnessOf, kindOf, usableOnError, type CachePolicy } from './cache-policy';
import { makeCachedObject, makeErrorObject, type CachedObject } from './cached-object';
import type { CacheStore } from './cache-store';
import { Coalescer } from './coalescer';
import type { CacheStatus, EdgeMetrics } from './edge-metrics';
import type { OriginPool } from './origin-pool';

export interface Served {
  object: CachedObject;
  cacheStatus: CacheStatus;
}

/** Result of one upstream fetch, shared by every request that waited on it. */
type Fetched = { kind: 'answer'; object: CachedObject; stored: boolean } | { kind: 'failed'; object: CachedObject };

export interface ProxyCacheOptions {
  store: CacheStore;
  origins: OriginPool;
  policy: CachePolicy;
  metrics: EdgeMetrics;
  clock: Clock;
  log: Logger;
  handledBy: string;
}

/**
 * The cache in front of the origins: fresh entries are served as they are; a miss or an expired
 * entry makes one upstream fetch per key however many requests ask at once (the coalescer);
 * when every origin fails, a segment still within stale-if-error is served STALE.
 */
export class ProxyCache {
  private readonly coalescer = new Coalescer<Fetched>();
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
      return { object: fetched.object, cacheStatus: entry ? 'EXPIRED' : 'MISS' };
    }
    if (!fetched.stored) return { object: fetched.object, cacheStatus: 'BYPASS' };
    return { object: fetched.object, cacheStatus: entry ? 'EXPIRED' : 'MISS' };
  }

  private async fetchAndStore(key: string): Promise<Fetched> {
    const { origins, policy, clock, store, handledBy } = this.opts;
    let result;
    try {
      result = await origins.fetch(key);
    } catch (err) {
      this.log.error({ err, key }, 'upstream fetch threw');
      result = { ok: false as const, status: 502 as const, message: 'upstream failed' };
    }
    const now = clock.now();
    if (!result.ok) {
      this.log.warn({ key, status: result.status, reason: result.message }, 'no origin answered');
      return { kind: 'failed', object: makeErrorObject(result.status, result.status === 504 ? 'upstream timed out' : 'upstream failed', handledBy, now) };
    }
    const res = result.response;
    const cacheControl = Array.isArray(res.headers['cache-control']) ? res.headers['cache-control'].join(', ') : res.headers['cache-control'];
    const ageRaw = Number(res.headers.age);
    const decision = decideStorage(kindOf(key), res.status, cacheControl, Number.isFinite(ageRaw) ? ageRaw : 0, policy);
    const object = makeCachedObject({
      status: res.status,
      headers: res.headers,
      body: res.body,
      origin: res.origin,
      storedAt: now,
      ttlMs: decision.ttlMs,
      staleIfErrorMs: decision.staleIfErrorMs,
      staleWhileRevalidateMs: decision.staleWhileRevalidateMs,
      handledBy,
    });
    if (res.status >= 500) return { kind: 'failed', object };
    if (!decision.store) {
      // An uncacheable answer replaces nothing, but an old copy must not outlive it either.
      store.delete(key);
      return { kind: 'answer', object, stored: false };
    }
    const stored = store.set(key, object);
    return { kind: 'answer', object, stored };
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
