import { scError, type ErrorCode } from '../shared/errors';
import { varyFields } from './cache-policy';

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
  /** The origin's content coding (e.g. gzip), kept as it came: the body holds the coded bytes. */
  contentEncoding?: string;
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

/**
 * Response headers taken from the origin, every field line of each (a second Cache-Control line
 * may say `private`); everything else it sends is dropped.
 */
const KEPT_HEADERS = ['cache-control', 'expires', 'etag', 'last-modified', 'content-encoding', 'vary', 'content-language', 'content-disposition', 'location', 'retry-after'];

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

/** A coding other than identity, or undefined (RFC 9110 8.4: codings are case-insensitive). */
function codingOf(v: string | string[] | undefined): string | undefined {
  const lines = v === undefined ? [] : Array.isArray(v) ? v : [v];
  const codings = lines.join(',').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  return codings.length > 0 ? codings.join(', ') : undefined;
}

export function makeCachedObject(input: ObjectInput): CachedObject {
  const baseHeaders: string[] = [];
  for (const name of KEPT_HEADERS) {
    const v = input.headers[name];
    if (Array.isArray(v)) for (const line of v) baseHeaders.push(name, line);
    else if (v !== undefined) baseHeaders.push(name, v);
  }
  const contentEncoding = codingOf(input.headers['content-encoding']);
  // Who gets the coded body depends on the request's Accept-Encoding, so a cache in front must key on it.
  if (contentEncoding !== undefined && !varyFields(input.headers.vary).some((f) => f === 'accept-encoding' || f === '*')) baseHeaders.push('vary', 'Accept-Encoding');
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
    contentEncoding,
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

/**
 * The answer to a client whose Accept-Encoding rules out the coding `obj` is stored in. The edge
 * neither decodes the body (it serves the origin's bytes, which its ETag and ranges describe) nor
 * sends a coding the client refused: it says so (RFC 9110 15.5.7), like an origin that has no other
 * representation.
 */
export function makeNotAcceptable(obj: CachedObject, now: number): CachedObject {
  let handledBy = '';
  for (let i = 0; i < obj.baseHeaders.length; i += 2) if (obj.baseHeaders[i] === 'x-media-handled-by') handledBy = obj.baseHeaders[i + 1]!;
  const error = scError('SC_ERR_NOT_ACCEPTABLE', obj.contentEncoding ?? '');
  const answer = makeErrorObject(406, error.message, handledBy, now, { code: error.code });
  answer.baseHeaders.push('vary', 'Accept-Encoding');
  return answer;
}
