import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock';
import type { CachedObject } from './cached-object';
import { discardAt } from './cache-policy';

/** Bookkeeping per entry beyond the body, so that many tiny objects still count against the bound. */
const ENTRY_OVERHEAD_BYTES = 512;

export interface CacheStoreOptions {
  maxBytes: number;
  clock: Clock;
}

/**
 * The byte-bounded object store: least recently used objects are evicted once the bodies (plus a
 * fixed overhead each) exceed `maxBytes`. Entries past any use are left for the LRU to evict or
 * for a periodic `purgeUseless()`.
 */
export class CacheStore {
  private readonly lru: LRUCache<string, CachedObject>;
  private readonly clock: Clock;
  evictions = 0;

  constructor(opts: CacheStoreOptions) {
    this.clock = opts.clock;
    this.lru = new LRUCache<string, CachedObject>({
      maxSize: opts.maxBytes,
      sizeCalculation: (obj, key) => obj.body.length + key.length + ENTRY_OVERHEAD_BYTES,
      dispose: (_obj, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  /** The entry, however old: callers judge freshness (an expired entry still says EXPIRED rather than MISS). */
  get(key: string): CachedObject | undefined {
    return this.lru.get(key);
  }

  /** Drops entries past any use (fresh, stale-while-revalidate, stale-if-error); returns how many. */
  purgeUseless(): number {
    const now = this.clock.now();
    let n = 0;
    for (const [key, obj] of this.lru.entries()) {
      if (now >= discardAt(obj)) {
        this.lru.delete(key);
        n++;
      }
    }
    return n;
  }

  /** False when the object alone is larger than the whole cache. */
  set(key: string, obj: CachedObject): boolean {
    this.lru.set(key, obj);
    return this.lru.peek(key) === obj;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get objects(): number {
    return this.lru.size;
  }

  get maxBytes(): number {
    return this.lru.maxSize;
  }
}
