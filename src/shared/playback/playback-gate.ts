import type { ErrorCode } from '../errors';
import { coversPath, verifyToken, type TokenClaims } from './playback-token';

export interface PlaybackGateOptions {
  /** PLAYBACK_HMAC_SECRET, then PLAYBACK_HMAC_SECRET_PREVIOUS while rotating; empty ones are skipped. */
  readonly secrets: readonly string[];
  /** Paths that need a token, on segment boundaries; `!/path` leaves one open (PLAYBACK_TOKEN_PATHS). */
  readonly paths: readonly string[];
  /** Unix milliseconds. */
  now(): number;
}

export type GateResult =
  /** `target` is the request target without its token: the cache key and the upstream path. */
  | { ok: true; target: string }
  | { ok: false; code: ErrorCode; args: string[] };

/** Where a token rides in a path: `/t/<token>/rest-of-path`. */
const PATH_MARK = '/t/';
const QUERY_NAME = 'token';
/**
 * Tokens whose HMAC checked out, so a viewer's next requests (a part every 200 ms) skip the HMAC.
 * Only authentic tokens get in, so nobody can fill it who cannot sign; expiry and path are checked
 * on every request all the same. Emptied when full.
 */
const AUTHENTIC_MEMO_MAX = 10_000;

/** Whether `path` is `base` or below it, on segment boundaries. */
function under(base: string, path: string): boolean {
  return base === '/' || path === base || (path.startsWith(base) && path.charCodeAt(base.length) === 47 /* / */);
}

/**
 * The request path as an origin resolves it: percent-escapes decoded, then refused if that
 * produced what a token's prefix could be fooled by (dot segments, empty segments, separators).
 * Undefined when the path is not usable.
 */
export function normalisedPath(rawPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (!path.startsWith('/') || /[\\\u0000-\u001f\u007f?#]/.test(path)) return undefined;
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '.' || s === '..' || (s === '' && i < segments.length - 1)) return undefined;
  }
  return path;
}

/**
 * The playback token step of a request: finds the token (`/t/<token>/...` or `?token=`), checks
 * it against the path it is used for, and hands back the target without it, so every viewer of an
 * object shares one cache entry and the origin never sees a token. Protected paths without a
 * token are refused; a token on an open path must still be good. Pure apart from the clock.
 */
export class PlaybackGate {
  private readonly secrets: readonly string[];
  private readonly protectedPaths: readonly string[];
  private readonly openPaths: readonly string[];
  private readonly now: () => number;
  private readonly authentic = new Map<string, TokenClaims>();

  constructor(opts: PlaybackGateOptions) {
    this.secrets = opts.secrets.filter((s) => s !== '');
    this.protectedPaths = opts.paths.filter((p) => !p.startsWith('!'));
    this.openPaths = opts.paths.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    this.now = opts.now;
  }

  /** Whether the gate does anything: a secret is set. */
  get enabled(): boolean {
    return this.secrets.length > 0;
  }

  /** Whether a (normalised) path needs a token. */
  isProtected(path: string): boolean {
    return this.protectedPaths.some((p) => under(p, path)) && !this.openPaths.some((p) => under(p, path));
  }

  /** `target` is an origin-form request target ("/path?query") that passed the server's own checks. */
  check(target: string): GateResult {
    if (!this.enabled) return { ok: true, target };
    const q = target.indexOf('?');
    let path = q >= 0 ? target.slice(0, q) : target;
    let query = q >= 0 ? target.slice(q + 1) : '';
    let token: string | undefined;

    if (path.startsWith(PATH_MARK)) {
      const end = path.indexOf('/', PATH_MARK.length);
      if (end < 0) return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_INVALID', args: ['nothing follows the token in the path'] };
      token = path.slice(PATH_MARK.length, end);
      path = path.slice(end);
    }
    if (query !== '') {
      const kept: string[] = [];
      for (const pair of query.split('&')) {
        const name = pair.indexOf('=') >= 0 ? pair.slice(0, pair.indexOf('=')) : pair;
        if (name !== QUERY_NAME) kept.push(pair);
        else if (token !== undefined) return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_INVALID', args: ['more than one token in the request'] };
        else token = pair.slice(name.length + 1);
      }
      query = kept.join('&');
    }
    const stripped = query === '' ? path : `${path}?${query}`;
    const normal = normalisedPath(path);
    if (normal === undefined) return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_INVALID', args: ['the path does not normalise'] };
    if (token === undefined) {
      return this.isProtected(normal) ? { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_MISSING', args: [normal] } : { ok: true, target: stripped };
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    let claims = this.authentic.get(token);
    if (claims === undefined) {
      const verdict = verifyToken(token, this.secrets, nowSeconds);
      if (!verdict.ok) {
        if (verdict.kind === 'expired') return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_EXPIRED', args: [verdict.reason] };
        return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_INVALID', args: [verdict.reason] };
      }
      claims = verdict.claims;
      if (this.authentic.size >= AUTHENTIC_MEMO_MAX) this.authentic.clear();
      this.authentic.set(token, claims);
    }
    if (nowSeconds > claims.expires) return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_EXPIRED', args: [`expired at ${new Date(claims.expires * 1000).toISOString()}`] };
    if (!coversPath(claims.prefix, normal)) return { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_PATH', args: [claims.prefix, normal] };
    return { ok: true, target: stripped };
  }
}
