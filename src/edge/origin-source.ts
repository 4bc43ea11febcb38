import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { scError } from '../shared/errors';
import { decideStorage, kindOf, type CachePolicy } from './cache-policy';
import { makeCachedObject, makeErrorObject, type CachedObject } from './cached-object';
import type { Fetched, ObjectSource } from './object-source';
import type { OriginPool } from './origin-pool';
import type { HeldRequests } from './held-requests';
import { isBlockingReload } from './request-target';

export interface OriginSourceOptions {
  origins: OriginPool;
  policy: CachePolicy;
  clock: Clock;
  log: Logger;
  handledBy: string;
  /** Learns LL-HLS playlists; says which requests the origin may hold, and how long. */
  held: HeldRequests;
}

/** What a client is told when no origin answers; the origins' own errors stay in the log. */
const CLIENT_TEXT = { 502: 'upstream failed', 503: scError('SC_ERR_ORIGINS_DOWN').message, 504: 'upstream timed out' } as const;

/**
 * The headers of a copy revalidated by a 304: those it was stored with, updated by the 304's
 * (RFC 9111 3.2 and 4.3.4), every field line kept. Content-Length, Content-Type and
 * Content-Encoding describe the body held here, so they stay as stored.
 */
const KEPT_ON_REVALIDATION = new Set(['content-length', 'content-type', 'content-encoding']);

export function revalidatedHeaders(previous: CachedObject, fresh: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const headers: Record<string, string | string[] | undefined> = {};
  for (let i = 0; i < previous.baseHeaders.length; i += 2) {
    const name = previous.baseHeaders[i]!;
    const value = previous.baseHeaders[i + 1]!;
    const had = headers[name];
    headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  if (previous.contentType !== undefined) headers['content-type'] = previous.contentType;
  for (const [name, value] of Object.entries(fresh)) {
    if (value !== undefined && !KEPT_ON_REVALIDATION.has(name)) headers[name] = value;
  }
  return headers;
}

/** Objects straight from the origins, with the cache policy's verdict on keeping them. */
export class OriginSource implements ObjectSource {
  private readonly opts: OriginSourceOptions;
  private readonly log: Logger;

  constructor(opts: OriginSourceOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'origin-source' });
  }

  async fetch(key: string, previous?: CachedObject): Promise<Fetched> {
    const { origins, policy, clock, handledBy } = this.opts;
    const conditional: Record<string, string> = {};
    if (previous?.etag) conditional['if-none-match'] = previous.etag;
    if (previous?.lastModified) conditional['if-modified-since'] = previous.lastModified;
    const heldMs = this.opts.held.timeoutMs(key);
    let result;
    try {
      result = await origins.fetch(key, conditional, heldMs !== undefined ? { timeoutMs: heldMs } : undefined);
    } catch (err) {
      this.log.error({ err, key }, 'upstream fetch threw');
      result = { ok: false as const, status: 502 as const, code: 'SC_ERR_UPSTREAM' as const, message: 'upstream failed' };
    }
    const now = clock.now();
    if (!result.ok) {
      // Every origin down is already logged once by the pool, not once per request.
      if (result.code !== 'SC_ERR_ORIGINS_DOWN') this.log.warn({ key, status: result.status, reason: result.message }, 'no origin answered');
      return { kind: 'failed', object: makeErrorObject(result.status, CLIENT_TEXT[result.status], handledBy, now, { code: result.code, retryAfterSeconds: result.retryAfterSeconds }) };
    }
    let res = result.response;
    if (res.status === 304 && previous) {
      // Unchanged: the copy we hold lives on under the headers the origin sends now.
      res = { ...res, status: 200, headers: revalidatedHeaders(previous, res.headers), body: previous.body };
    }
    const ageRaw = Number(res.headers.age);
    const kind = kindOf(key);
    if (kind === 'playlist' && res.status === 200) this.opts.held.learn(key, res.body);
    // The same blocking request always gets the same playlist: kept as long as the origin says
    // (six target durations, its server profile), not cut to the cap of live playlists.
    const keptBy = isBlockingReload(key) ? { ...policy, playlistTtlMaxMs: Math.max(policy.playlistTtlMaxMs, policy.segmentTtlMaxMs) } : policy;
    const decision = decideStorage(kind, { status: res.status, headers: res.headers, upstreamAgeSeconds: Number.isFinite(ageRaw) ? ageRaw : 0, receivedAt: now }, keptBy);
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
    return { kind: 'answer', object, store: decision.store };
  }
}
