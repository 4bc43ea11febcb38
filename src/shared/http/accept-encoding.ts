/**
 * Whether a request's Accept-Encoding (RFC 9110 12.5.3) admits a response in a content coding.
 * No field at all means any coding is acceptable; an empty field means none but identity; a coding
 * is acceptable when listed (or matched by "*") with a weight above 0. "x-gzip" is gzip (8.4.1.3).
 * At most MAX_CODINGS entries are read; a request head is bounded before it gets here.
 */
export const MAX_CODINGS = 64;

function canonical(coding: string): string {
  const c = coding.trim().toLowerCase();
  return c === 'x-gzip' ? 'gzip' : c === 'x-compress' ? 'compress' : c;
}

/** Weight of a q parameter (RFC 9110 12.4.2); a malformed one counts as 1, as browsers send no such thing. */
function weightOf(params: string[]): number {
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const q = Number(p.slice(eq + 1).trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 1;
  }
  return 1;
}

/** `contentEncoding` may list several codings (applied in order); every one must be acceptable. */
export function acceptsCoding(acceptEncoding: string | readonly string[] | undefined, contentEncoding: string): boolean {
  if (acceptEncoding === undefined) return true;
  const text = typeof acceptEncoding === 'string' ? acceptEncoding : acceptEncoding.join(',');
  const weights = new Map<string, number>();
  for (const item of text.split(',').slice(0, MAX_CODINGS)) {
    const [name, ...params] = item.split(';');
    const coding = canonical(name ?? '');
    if (coding === '' || weights.has(coding)) continue;
    weights.set(coding, weightOf(params));
  }
  const star = weights.get('*');
  return contentEncoding.split(',').every((c) => {
    const coding = canonical(c);
    if (coding === '' || coding === 'identity') return true;
    const q = weights.get(coding) ?? star ?? 0;
    return q > 0;
  });
}
