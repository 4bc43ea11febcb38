import { createHmac } from 'node:crypto';
import { secretEquals } from '../shared/secret-equal';

/**
 * Publish authorization, pure: a secret per stream key (`?key=`), and/or HMAC-signed publish URLs
 * with an expiry (`?exp=<unix seconds>&sig=<hex HMAC-SHA256(secret, "APP/NAME:exp")>`).
 */
export interface PublishAuthOptions {
  /** name -> secret; names not listed need no key. */
  readonly keys: ReadonlyMap<string, string>;
  readonly hmacSecret: string;
}

export type PublishQuery = Readonly<Record<string, string | string[] | undefined>>;

export const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function first(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

export function parsePublishKeys(pairs: readonly string[]): Map<string, string> {
  return new Map(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

export function signPublish(secret: string, app: string, name: string, exp: number): string {
  return createHmac('sha256', secret).update(`${app}/${name}:${exp}`).digest('hex');
}

/** Returns undefined when the publish may go ahead, or the reason it may not. */
export function checkPublish(opts: PublishAuthOptions, app: string, name: string, query: PublishQuery, nowMs: number): string | undefined {
  if (!STREAM_NAME.test(name)) return 'stream names are 1-64 letters, digits, _ or -';
  const key = opts.keys.get(name);
  if (key !== undefined && !secretEquals(first(query.key), key)) return 'wrong or missing ?key= for this stream';
  if (opts.hmacSecret) {
    const exp = Number(first(query.exp));
    const sig = first(query.sig);
    if (!Number.isInteger(exp) || !sig) return 'publish URL is not signed (?exp=&sig=)';
    if (exp * 1000 < nowMs) return 'signed publish URL has expired';
    if (!secretEquals(sig.toLowerCase(), signPublish(opts.hmacSecret, app, name, exp))) return 'publish URL signature does not match';
  }
  return undefined;
}
