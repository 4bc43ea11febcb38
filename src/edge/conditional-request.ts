/**
 * Conditional GET/HEAD (RFC 9110 §13): If-None-Match is compared weakly against the ETag and,
 * when present, decides alone; otherwise If-Modified-Since against Last-Modified.
 */
import { parseHttpDate } from '../shared/http/http-date';

export interface ConditionalHeaders {
  'if-none-match'?: string | string[];
  'if-modified-since'?: string;
}

function opaque(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

export function isNotModified(req: ConditionalHeaders, etag: string | undefined, lastModified: string | undefined): boolean {
  const raw = req['if-none-match'];
  if (raw !== undefined) {
    const inm = Array.isArray(raw) ? raw.join(',') : raw;
    if (etag === undefined) return false;
    if (inm.trim() === '*') return true;
    const mine = opaque(etag);
    return inm.split(',').some((t) => opaque(t) === mine);
  }
  const ims = req['if-modified-since'];
  if (ims !== undefined && lastModified !== undefined) {
    // RFC 9110 13.1.3: an If-Modified-Since that is not a valid HTTP-date is ignored.
    const since = parseHttpDate(ims);
    const modified = parseHttpDate(lastModified);
    if (since === undefined || modified === undefined) return false;
    return modified <= since;
  }
  return false;
}
