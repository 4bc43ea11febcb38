/**
 * Byte ranges (RFC 9110 §14) over an object held whole. One range is served as 206; several
 * ranges or a malformed header are ignored (a full 200 is a valid answer); a well-formed range
 * that starts past the end is 416.
 */
export type RangeResult =
  | { kind: 'none' }
  | { kind: 'unsatisfiable' }
  | { kind: 'range'; start: number; end: number };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'none' };
  const [, a, b] = m;
  if (a === '' && b === '') return { kind: 'none' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

/** If-Range: the range applies only when the validator still names this object (strong ETag or exact date). */
export function ifRangeMatches(ifRange: string | undefined, etag: string | undefined, lastModified: string | undefined): boolean {
  if (!ifRange) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return etag !== undefined && !etag.startsWith('W/') && v === etag;
  return lastModified !== undefined && v === lastModified;
}
