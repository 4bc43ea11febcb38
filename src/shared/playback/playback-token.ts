import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Playback tokens: an HMAC-SHA256 over a path prefix and an expiry, so one token opens a whole
 * stream (master, variants, segments, parts) and nothing else, until it expires.
 *
 * Form: `1.<expiry, unix seconds>.<prefix, base64url>.<HMAC, base64url>`, only characters that are
 * unreserved in a URI path segment and a query value. The leading `1` is the format version. The
 * prefix travels inside the token, so a refusal can say "this token is for /hls/a" rather than
 * only "bad signature"; the HMAC covers version, prefix and expiry together. There is no key id:
 * a verifier holds at most two secrets (the current one and, while rotating, the previous one)
 * and simply tries both.
 *
 * The deploy/ CloudFront Function implements the same format; test/shared/playback/playback-vectors.ts
 * holds the vectors both are checked against.
 */
export const TOKEN_VERSION = '1';
export const MAX_PREFIX_LENGTH = 256;
/** Version, dots, a 12-digit expiry, the base64url prefix and the 43-character HMAC. */
export const MAX_TOKEN_LENGTH = 1 + 3 + 12 + Math.ceil((MAX_PREFIX_LENGTH * 4) / 3) + 43;

export interface TokenClaims {
  /** Normalised path prefix the token opens (see coversPath). */
  readonly prefix: string;
  /** Unix time in seconds after which the token is refused. */
  readonly expires: number;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; kind: 'invalid' | 'expired'; reason: string; claims?: TokenClaims };

// The expiry without leading zeros: one token has one spelling, as the CloudFront Function reads it.
const TOKEN_FORM = /^1\.(0|[1-9]\d{0,11})\.([A-Za-z0-9_-]{1,342})\.([A-Za-z0-9_-]{43})$/;
/** Characters a prefix may hold: an unreserved or sub-delim path character, or a slash. */
const PREFIX_CHARS = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;

/** Why a path prefix cannot be signed, or undefined when it can. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0 || prefix.length > MAX_PREFIX_LENGTH) return `a prefix is 1-${MAX_PREFIX_LENGTH} characters`;
  if (!PREFIX_CHARS.test(prefix)) return 'a prefix is an absolute path of plain characters (no query, spaces or escapes)';
  if (prefix !== '/' && prefix.endsWith('/')) return 'a prefix does not end with /';
  if (prefix.includes('//')) return 'a prefix has no empty segments';
  for (const segment of prefix.split('/')) if (segment === '.' || segment === '..') return 'a prefix has no dot segments';
  if (prefix === '/t' || prefix.startsWith('/t/')) return 'a prefix cannot start with /t/, where tokens are carried';
  return undefined;
}

function mac(secret: string, prefix: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`spherecast-playback\n${TOKEN_VERSION}\n${prefix}\n${expires}`).digest();
}

/** A token for `prefix` valid until `expires` (unix seconds). Throws on a prefix prefixProblem refuses. */
export function signToken(secret: string, claims: TokenClaims): string {
  const problem = prefixProblem(claims.prefix);
  if (problem) throw new Error(problem);
  if (!secret) throw new Error('no secret to sign with');
  if (!Number.isSafeInteger(claims.expires) || claims.expires < 0 || claims.expires > 999_999_999_999) throw new Error('expiry must be unix seconds');
  const prefix64 = Buffer.from(claims.prefix, 'utf8').toString('base64url');
  return `${TOKEN_VERSION}.${claims.expires}.${prefix64}.${mac(secret, claims.prefix, claims.expires).toString('base64url')}`;
}

/**
 * Checks a token from a request: its form (bounded before any decoding), its HMAC against each
 * secret in constant time, then its expiry. The path it is used for is coversPath's business.
 */
export function verifyToken(token: string, secrets: readonly string[], nowSeconds: number): TokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, kind: 'invalid', reason: 'token too long' };
  const m = TOKEN_FORM.exec(token);
  if (!m) return { ok: false, kind: 'invalid', reason: 'malformed token' };
  const expires = Number(m[1]);
  const prefix = Buffer.from(m[2]!, 'base64url').toString('utf8');
  // Base64url has several spellings of the same bytes; only the canonical one is signed.
  if (Buffer.from(prefix, 'utf8').toString('base64url') !== m[2] || prefixProblem(prefix)) return { ok: false, kind: 'invalid', reason: 'malformed token prefix' };
  const given = Buffer.from(m[3]!, 'base64url');
  if (given.length !== 32 || given.toString('base64url') !== m[3]) return { ok: false, kind: 'invalid', reason: 'malformed token signature' };
  let authentic = false;
  for (const secret of secrets) if (secret && timingSafeEqual(mac(secret, prefix, expires), given)) authentic = true;
  if (!authentic) return { ok: false, kind: 'invalid', reason: 'signature does not match (tampered, or signed with another secret)' };
  const claims = { prefix, expires };
  if (nowSeconds > expires) return { ok: false, kind: 'expired', reason: `expired at ${new Date(expires * 1000).toISOString()}`, claims };
  return { ok: true, claims };
}

/** A variant folder of a stream named by the prefix: `<name>_<letters or digits>/` (HLS_VARIANT_SUFFIX). */
const VARIANT_FOLDER = /^_[A-Za-z0-9]{1,32}\//;

/**
 * Whether a token for `prefix` opens `path` (decoded and normalised). Matching is on path-segment
 * boundaries, so `/hls/test` never opens `/hls/test2`. The last segment of a prefix also names the
 * stream beside it: `/hls/test` opens `/hls/test/...`, the stream's own files `/hls/test.m3u8` and
 * `/hls/test.json`, and its variant folders `/hls/test_1280/...` (a suffix of letters and digits,
 * so `/hls/test_b.m3u8` or `/hls/test_b_1280/` of a stream named `test_b` stay closed).
 */
export function coversPath(prefix: string, path: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  if (!path.startsWith(prefix)) return false;
  const rest = path.slice(prefix.length);
  if (rest === '' || rest.startsWith('/')) return true;
  if (rest.startsWith('.')) return !rest.includes('/');
  return VARIANT_FOLDER.test(rest);
}

/** `/t/<token><prefix>`: the signed path prefix, to which any path the token covers is appended (sign-url). */
export function signedPrefix(secret: string, claims: TokenClaims): string {
  return `/t/${signToken(secret, claims)}${claims.prefix === '/' ? '' : claims.prefix}`;
}
