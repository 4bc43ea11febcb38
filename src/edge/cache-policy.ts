/**
 * Pure caching decisions: what kind of object a path names, whether and how long an upstream
 * answer may be kept, and how an entry's age is judged at a given instant. No I/O and no clock
 * of its own: callers pass `now`, so tests drive time directly.
 */
import { parseCacheControl, type CacheControl } from '../shared/http/cache-control';
import { parseHttpDate } from '../shared/http/http-date';

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

/** The parts of an upstream answer that decide whether and how long it is kept. */
export interface StorageInput {
  status: number;
  /** Response headers as the HTTP client gives them: a string per field, or one per field line. */
  headers: Record<string, string | readonly string[] | undefined>;
  /** Age the answer already had upstream, in seconds. */
  upstreamAgeSeconds: number;
  /** Clock time it was received: the Date stand-in when the origin sent none (RFC 9111 4.2.1). */
  receivedAt: number;
}

function fieldLines(v: string | readonly string[] | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/** Vary's field names, lower-cased (RFC 9110 12.5.5). */
export function varyFields(v: string | readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const line of fieldLines(v)) {
    for (const item of line.split(',')) {
      const name = item.trim().toLowerCase();
      if (name !== '') out.push(name);
    }
  }
  return out;
}

/**
 * The explicit freshness lifetime the origin gave, in ms (RFC 9111 4.2.1, for a shared cache:
 * s-maxage, then max-age, then Expires minus Date), 0 when it gave one that is invalid (treated as
 * stale), or undefined when it gave none, so the edge's own default applies.
 */
function explicitLifetimeMs(cc: CacheControl, headers: StorageInput['headers'], receivedAt: number): { ms: number; from: string } | undefined {
  if (cc.sMaxAge !== undefined) return { ms: cc.sMaxAge === 'invalid' ? 0 : cc.sMaxAge * 1000, from: 's-maxage' };
  if (cc.maxAge !== undefined) return { ms: cc.maxAge === 'invalid' ? 0 : cc.maxAge * 1000, from: 'max-age' };
  const expires = fieldLines(headers.expires);
  if (expires.length === 0) return undefined;
  // RFC 9111 5.3: an invalid date ("0" above all) is in the past; two Expires lines make it stale (4.2.1).
  const at = expires.length === 1 ? parseHttpDate(expires[0], receivedAt) : undefined;
  if (at === undefined) return { ms: 0, from: 'expires' };
  const dates = fieldLines(headers.date);
  const date = dates.length === 1 ? parseHttpDate(dates[0], receivedAt) : undefined;
  return { ms: Math.max(0, at - (date ?? receivedAt)), from: 'expires' };
}

/**
 * Whether to keep an upstream answer and for how long. The origin's Cache-Control (every field
 * line of it) and Expires win over the defaults (RFC 9111 4.2.1), minus the Age it already had,
 * within the caps. Only 200 is kept for a full TTL; 404/410 of segments and other objects for at
 * most ERROR_TTL (less if the origin says so), never for playlists, which appear moments after a
 * publish starts; everything else (redirects, partial content, 5xx) passes through uncached. An
 * answer with `Vary: *` never matches a later request (RFC 9111 4.1), so it is not kept.
 */
export function decideStorage(kind: ObjectKind, input: StorageInput, policy: CachePolicy): StoreDecision {
  const { status, headers } = input;
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.oversized) return noStore('cache-control too large');
  if (cc.noStore) return noStore('no-store');
  if (cc.private) return noStore('private');
  if (cc.noCache) return noStore('no-cache');
  if (varyFields(headers.vary).includes('*')) return noStore('vary *');
  const explicit = explicitLifetimeMs(cc, headers, input.receivedAt);
  const spentMs = Math.max(0, input.upstreamAgeSeconds) * 1000;
  if (status === 404 || status === 410) {
    if (kind === 'playlist') return noStore('playlist error');
    if (policy.errorTtlMs <= 0) return noStore('error caching off');
    const ttlMs = explicit === undefined ? policy.errorTtlMs : Math.min(policy.errorTtlMs, explicit.ms - spentMs);
    if (ttlMs <= 0) return noStore(`error, ${explicit?.from ?? 'ttl'} is 0`);
    return { store: true, ttlMs, staleIfErrorMs: 0, staleWhileRevalidateMs: 0, reason: explicit === undefined ? 'error ttl' : `error, ${explicit.from}` };
  }
  if (status !== 200) return noStore(`status ${status}`);

  const defaults = { playlist: policy.playlistTtlMs, segment: policy.segmentTtlMs, other: policy.otherTtlMs }[kind];
  const cap = kind === 'segment' ? policy.segmentTtlMaxMs : kind === 'playlist' ? policy.playlistTtlMaxMs : Math.max(policy.playlistTtlMaxMs, policy.otherTtlMs);
  let ttlMs: number;
  let reason: string;
  if (explicit !== undefined) {
    ttlMs = Math.max(0, explicit.ms - spentMs);
    reason = explicit.from;
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
  if (cc.mustRevalidate || cc.proxyRevalidate || cc.sMaxAge !== undefined) return { store: true, ttlMs, staleIfErrorMs: 0, staleWhileRevalidateMs: 0, reason: `${reason}, revalidate` };
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
