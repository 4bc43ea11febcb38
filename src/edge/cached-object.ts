import type { ErrorCode } from '../shared/errors';

/**
 * What the edge keeps and serves: an upstream answer held whole in memory, with the response
 * headers that do not change per request already flattened for `writeHead`.
 */
export interface CachedObject {
  status: number;
  body: Buffer;
  /** Flat [name, value, ...] list: validators, Cache-Control, CORS, X-Media-Handled-By, Accept-Ranges. */
  baseHeaders: string[];
  contentType?: string;
  etag?: string;
  lastModified?: string;
  /** Clock time it was received. */
  storedAt: number;
  expiresAt: number;
  staleIfErrorMs: number;
  staleWhileRevalidateMs: number;
  /** Age the origin reported, in seconds. */
  upstreamAge: number;
  /** Origin URL it came from ('' for answers the edge made itself). */
  origin: string;
}

/** Response headers taken from the origin; everything else it sends is dropped. */
const KEPT_HEADERS = ['cache-control', 'expires', 'etag', 'last-modified', 'content-language', 'content-disposition', 'location', 'retry-after'];

export interface ObjectInput {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  origin: string;
  storedAt: number;
  ttlMs: number;
  staleIfErrorMs: number;
  staleWhileRevalidateMs: number;
  handledBy: string;
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function makeCachedObject(input: ObjectInput): CachedObject {
  const baseHeaders: string[] = [];
  for (const name of KEPT_HEADERS) {
    const v = one(input.headers[name]);
    if (v !== undefined) baseHeaders.push(name, v);
  }
  // hls.js reads Age to find the live edge behind a cache, and a cross-origin page sees it only when exposed.
  baseHeaders.push('access-control-allow-origin', '*', 'access-control-expose-headers', 'Age', 'x-media-handled-by', input.handledBy);
  if (input.status === 200) baseHeaders.push('accept-ranges', 'bytes');
  const ageRaw = one(input.headers.age);
  const upstreamAge = ageRaw !== undefined && /^\d+$/.test(ageRaw) ? Number(ageRaw) : 0;
  return {
    status: input.status,
    body: input.body,
    baseHeaders,
    contentType: one(input.headers['content-type']),
    etag: one(input.headers.etag),
    lastModified: one(input.headers['last-modified']),
    storedAt: input.storedAt,
    expiresAt: input.storedAt + input.ttlMs,
    staleIfErrorMs: input.staleIfErrorMs,
    staleWhileRevalidateMs: input.staleWhileRevalidateMs,
    upstreamAge,
    origin: input.origin,
  };
}

/** An answer the edge makes itself (502/503/504 when no origin answers); never cached. */
export function makeErrorObject(status: number, message: string, handledBy: string, now: number, detail: { code?: ErrorCode; retryAfterSeconds?: number } = {}): CachedObject {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
  if (detail.retryAfterSeconds !== undefined) headers['retry-after'] = String(detail.retryAfterSeconds);
  const obj = makeCachedObject({
    status,
    headers,
    body: Buffer.from(detail.code ? `${message} (${detail.code})\n` : `${message}\n`),
    origin: '',
    storedAt: now,
    ttlMs: 0,
    staleIfErrorMs: 0,
    staleWhileRevalidateMs: 0,
    handledBy,
  });
  if (detail.code) obj.baseHeaders.push('x-media-error', detail.code);
  return obj;
}
