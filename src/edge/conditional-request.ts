/**
 * Conditional GET/HEAD (RFC 9110 §13): If-None-Match is compared weakly against the ETag and,
 * when present, decides alone; otherwise If-Modified-Since against Last-Modified.
 */
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
    const since = Date.parse(ims);
    const modified = Date.parse(lastModified);
    if (Number.isNaN(since) || Number.isNaN(modified)) return false;
    return modified <= since;
  }
  return false;
}
