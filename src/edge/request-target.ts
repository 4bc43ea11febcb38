/**
 * Validation of the request target before anything else looks at it. Only origin-form targets
 * ("/path?query") pass: absolute-form ("http://host/..."), authority-form and asterisk-form are
 * refused, as are dot segments, encoded dots, slashes, backslashes and NULs, so that neither this
 * edge nor an origin that decodes paths can be walked out of its tree. An accepted target becomes
 * the cache key and the upstream path through `cacheKeyOf`.
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
    // Hidden names are never media (the transcoder fleet keeps its coordination state in .fleet/ beside an asset).
    if (segment.startsWith('.')) return { ok: false, reason: 'hidden path segment' };
  }
  return { ok: true, path };
}

/**
 * The query parameters that change an answer, in their canonical order: the LL-HLS delivery
 * directives (RFC 8216bis 6.2.5). Every other parameter is dropped from the key and from the
 * upstream request, or a random `?x=` per request would reach the origin every time.
 */
export const KEPT_QUERY_PARAMS: readonly string[] = ['_HLS_msn', '_HLS_part', '_HLS_skip'];

/**
 * Paths of the origin's own pages whose answer depends on another parameter: `/stat?format=json` is
 * the JSON the index page lists live streams from (without it, the HTML page).
 */
export const KEPT_QUERY_PARAMS_BY_PATH: Readonly<Record<string, readonly string[]>> = { '/stat': ['format'] };

/**
 * The cache key of a validated target, which is also the path and query asked upstream: the path,
 * then the kept parameters in KEPT_QUERY_PARAMS order (KEPT_QUERY_PARAMS_BY_PATH for those paths),
 * the first of each name, as sent (not decoded: the origin judges the values).
 */
export function cacheKeyOf(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const path = target.slice(0, q);
  const kept = Object.hasOwn(KEPT_QUERY_PARAMS_BY_PATH, path) ? KEPT_QUERY_PARAMS_BY_PATH[path]! : KEPT_QUERY_PARAMS;
  const found: Array<string | undefined> = new Array(kept.length);
  let any = false;
  for (const pair of target.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const i = kept.indexOf(eq >= 0 ? pair.slice(0, eq) : pair);
    if (i >= 0 && found[i] === undefined) {
      found[i] = pair;
      any = true;
    }
  }
  return any ? `${path}?${found.filter((p) => p !== undefined).join('&')}` : path;
}

/** A blocking playlist reload (RFC 8216bis 6.2.5.2): the origin may hold it up to three target durations. */
export function isBlockingReload(key: string): boolean {
  const q = key.indexOf('?');
  return q >= 0 && /(?:^|&)_HLS_msn(?:=|&|$)/.test(key.slice(q + 1));
}
