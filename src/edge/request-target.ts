/**
 * Validation of the request target before anything else looks at it. Only origin-form targets
 * ("/path?query") pass: absolute-form ("http://host/..."), authority-form and asterisk-form are
 * refused, as are dot segments, encoded dots, slashes, backslashes and NULs, so that neither this
 * edge nor an origin that decodes paths can be walked out of its tree. The accepted raw target is
 * used unchanged as the cache key and the upstream path.
 */
export type TargetCheck = { ok: true; path: string } | { ok: false; reason: string };

export const MAX_TARGET_LENGTH = 4096;

const ENCODED_FORBIDDEN = /%(2e|2f|5c|00)/i;
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;

export function checkRequestTarget(url: string | undefined): TargetCheck {
  if (!url) return { ok: false, reason: 'empty target' };
  if (url.length > MAX_TARGET_LENGTH) return { ok: false, reason: 'target too long' };
  if (url.charCodeAt(0) !== 47 /* / */) return { ok: false, reason: 'not an origin-form target' };
  if (url.startsWith('//')) return { ok: false, reason: 'target starts with //' };
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  if (path.includes('\\')) return { ok: false, reason: 'backslash in path' };
  if (path.includes('#')) return { ok: false, reason: 'fragment in target' };
  if (BAD_ESCAPE.test(url)) return { ok: false, reason: 'malformed percent-encoding' };
  if (ENCODED_FORBIDDEN.test(path)) return { ok: false, reason: 'encoded dot, slash, backslash or NUL in path' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(url)) return { ok: false, reason: 'control character in target' };
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.') return { ok: false, reason: 'dot segment in path' };
  }
  return { ok: true, path };
}
