/**
 * Pure caching decisions: what kind of object a path names, whether and how long an upstream
 * answer may be kept, and how an entry's age is judged at a given instant. No I/O and no clock
 * of its own: callers pass `now`, so tests drive time directly.
 */
export type ObjectKind = 'playlist' | 'segment' | 'other';

/** Live playlists change every segment; serving one later than this past its TTL stalls players. */
export const PLAYLIST_STALE_LIMIT_MS = 1000;

const PLAYLIST_EXT = new Set(['m3u8', 'mpd']);
const SEGMENT_EXT = new Set(['ts', 'm4s', 'mp4', 'm4a', 'm4v', 'aac', 'mp3', 'vtt', 'webvtt', 'key', 'cmfv', 'cmfa', 'jpg', 'jpeg', 'png', 'webm']);

/** Kind of object by the extension of the path (the query, if any, is ignored). */
export function kindOf(pathAndQuery: string): ObjectKind {
  const q = pathAndQuery.indexOf('?');
  const path = q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery;
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash) return 'other';
  const ext = path.slice(dot + 1).toLowerCase();
  if (PLAYLIST_EXT.has(ext)) return 'playlist';
  if (SEGMENT_EXT.has(ext)) return 'segment';
  return 'other';
}

export interface CacheControl {
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  /** must-revalidate or proxy-revalidate: once expired, never served without the origin's word. */
  mustRevalidate: boolean;
  /** Seconds; undefined when absent or malformed. */
  maxAge?: number;
  sMaxAge?: number;
}

export function parseCacheControl(value: string | undefined): CacheControl {
  const cc: CacheControl = { noStore: false, noCache: false, private: false, mustRevalidate: false };
  if (!value) return cc;
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq >= 0 ? part.slice(0, eq) : part).trim().toLowerCase();
    const raw = eq >= 0 ? part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1') : '';
    const seconds = /^\d+$/.test(raw) ? Number(raw) : undefined;
    if (name === 'no-store') cc.noStore = true;
    else if (name === 'no-cache') cc.noCache = true;
    else if (name === 'private') cc.private = true;
    else if (name === 'must-revalidate' || name === 'proxy-revalidate') cc.mustRevalidate = true;
    else if (name === 'max-age' && seconds !== undefined) cc.maxAge = seconds;
    else if (name === 's-maxage' && seconds !== undefined) cc.sMaxAge = seconds;
  }
  return cc;
}

export interface CachePolicy {
  playlistTtlMs: number;
  playlistTtlMaxMs: number;
  segmentTtlMs: number;
  segmentTtlMaxMs: number;
  otherTtlMs: number;
  /** For 404/410 of segments and other objects; playlists never keep errors. */
  errorTtlMs: number;
  /** Segments only: how long past expiry an entry may stand in when every origin fails. */
  staleIfErrorMs: number;
  /** How long past expiry an entry is served (UPDATING) while a refresh runs; playlists are capped at 1 s. */
  staleWhileRevalidateMs: number;
}

export interface StoreDecision {
  store: boolean;
  ttlMs: number;
  staleIfErrorMs: number;
  staleWhileRevalidateMs: number;
  /** Why, for logs and tests. */
  reason: string;
}

const noStore = (reason: string): StoreDecision => ({ store: false, ttlMs: 0, staleIfErrorMs: 0, staleWhileRevalidateMs: 0, reason });

/**
 * Whether to keep an upstream answer and for how long. Only 200 is kept for its full TTL; 404/410
 * of segments briefly (ERROR_TTL), never for playlists, which appear moments after a publish
 * starts; everything else (redirects, partial content, 5xx) passes through uncached.
 * The origin's Cache-Control wins over the defaults (s-maxage over max-age, minus its Age), within the caps.
 */
export function decideStorage(kind: ObjectKind, status: number, cacheControl: string | undefined, upstreamAgeSeconds: number, policy: CachePolicy): StoreDecision {
  const cc = parseCacheControl(cacheControl);
  if (cc.noStore) return noStore('no-store');
  if (cc.private) return noStore('private');
  if (cc.noCache) return noStore('no-cache');
  if (status === 404 || status === 410) {
    if (kind === 'playlist') return noStore('playlist error');
    if (policy.errorTtlMs <= 0) return noStore('error caching off');
    return { store: true, ttlMs: policy.errorTtlMs, staleIfErrorMs: 0, staleWhileRevalidateMs: 0, reason: 'error ttl' };
  }
  if (status !== 200) return noStore(`status ${status}`);

  const defaults = { playlist: policy.playlistTtlMs, segment: policy.segmentTtlMs, other: policy.otherTtlMs }[kind];
  const cap = kind === 'segment' ? policy.segmentTtlMaxMs : kind === 'playlist' ? policy.playlistTtlMaxMs : Math.max(policy.playlistTtlMaxMs, policy.otherTtlMs);
  const given = cc.sMaxAge ?? cc.maxAge;
  let ttlMs: number;
  let reason: string;
  if (given !== undefined) {
    ttlMs = Math.max(0, given - Math.max(0, upstreamAgeSeconds)) * 1000;
    reason = cc.sMaxAge !== undefined ? 's-maxage' : 'max-age';
  } else {
    ttlMs = defaults;
    reason = 'default';
  }
  if (ttlMs > cap) {
    ttlMs = cap;
    reason += ' capped';
  }
  if (ttlMs <= 0) return noStore(`${reason} is 0`);
  // RFC 9111 5.2.2.2, 5.2.2.8 and 5.2.2.10 (s-maxage implies proxy-revalidate for a shared cache):
  // such a copy is never served stale, neither while refreshing nor when every origin fails.
  if (cc.mustRevalidate || cc.sMaxAge !== undefined) return { store: true, ttlMs, staleIfErrorMs: 0, staleWhileRevalidateMs: 0, reason: `${reason}, revalidate` };
  return {
    store: true,
    ttlMs,
    staleIfErrorMs: kind === 'segment' ? policy.staleIfErrorMs : 0,
    staleWhileRevalidateMs: kind === 'playlist' ? Math.min(policy.staleWhileRevalidateMs, PLAYLIST_STALE_LIMIT_MS) : policy.staleWhileRevalidateMs,
    reason,
  };
}

export interface Timed {
  storedAt: number;
  expiresAt: number;
  staleIfErrorMs: number;
  staleWhileRevalidateMs: number;
}

/** fresh: serve it; updating: serve it and refresh in the background; expired: fetch (keep it for stale-if-error). */
export type Freshness = 'fresh' | 'updating' | 'expired';

export function freshnessOf(entry: Timed, now: number): Freshness {
  if (now < entry.expiresAt) return 'fresh';
  if (now < entry.expiresAt + entry.staleWhileRevalidateMs) return 'updating';
  return 'expired';
}

export function usableOnError(entry: Timed, now: number): boolean {
  return now < entry.expiresAt + Math.max(entry.staleIfErrorMs, entry.staleWhileRevalidateMs);
}

/** After this an entry is of no use at all and may be dropped. */
export function discardAt(entry: Timed): number {
  return entry.expiresAt + Math.max(entry.staleIfErrorMs, entry.staleWhileRevalidateMs);
}

/** The Age header: seconds since it was stored here plus the age it already had upstream. */
export function ageSeconds(storedAt: number, upstreamAgeSeconds: number, now: number): number {
  return Math.max(0, Math.floor((now - storedAt) / 1000)) + Math.max(0, upstreamAgeSeconds);
}
