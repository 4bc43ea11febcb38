import { Pool } from 'undici';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';

/**
 * The origins, in order of preference, each behind an undici keep-alive Pool. Like nginx's
 * proxy_next_upstream: a connect error, a timeout or a 502/503/504 moves on to the next origin,
 * and the failing origin is skipped for `failTimeoutMs` before it is tried again. The edge never
 * contacts any host but these: request paths are appended to a fixed origin, never parsed as URLs.
 */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  origin: string;
}

export type FetchResult =
  | { ok: true; response: UpstreamResponse }
  /** No origin gave a usable answer: 504 when the last attempt timed out, 502 otherwise. */
  | { ok: false; status: 502 | 504; message: string };

export type UpstreamOutcome = 'ok' | 'connect_error' | 'timeout' | 'bad_gateway' | 'too_large';

export interface OriginPoolOptions {
  origins: readonly string[];
  connectTimeoutMs: number;
  timeoutMs: number;
  failTimeoutMs: number;
  connections: number;
  maxObjectBytes: number;
  /** Sent with every upstream request (the origin secret). */
  headers: Record<string, string>;
  clock: Clock;
  log: Logger;
  onAttempt?: (origin: string, outcome: UpstreamOutcome) => void;
}

export interface OriginState {
  url: string;
  up: boolean;
  downUntil: number | null;
  requests: number;
  failures: number;
  lastError: string | null;
}

interface Origin {
  url: string;
  pathPrefix: string;
  pool: Pool;
  downUntil: number;
  requests: number;
  failures: number;
  lastError: string | null;
}

const FAILOVER_STATUS = new Set([502, 503, 504]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** A reused keep-alive socket the origin had just closed: worth one immediate retry on the same origin. */
const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

class TooLarge extends Error {}

/** Drops a response body unread; the connection is closed rather than drained. */
function discard(body: NodeJS.ReadableStream & { destroy(err?: Error): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

type Attempt =
  | { kind: 'response'; response: UpstreamResponse }
  | { kind: 'error'; outcome: UpstreamOutcome; message: string; code?: string };

export class OriginPool {
  private readonly origins: Origin[];
  private readonly opts: OriginPoolOptions;
  private readonly log: Logger;

  constructor(opts: OriginPoolOptions) {
    if (opts.origins.length === 0) throw new Error('at least one origin is needed');
    this.opts = opts;
    this.log = opts.log.child({ component: 'origin-pool' });
    this.origins = opts.origins.map((url) => {
      const u = new URL(url);
      return {
        url,
        pathPrefix: u.pathname.replace(/\/+$/, ''),
        pool: new Pool(u.origin, {
          connections: opts.connections,
          connectTimeout: opts.connectTimeoutMs,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
          keepAliveTimeout: 30_000,
          pipelining: 1,
        }),
        downUntil: 0,
        requests: 0,
        failures: 0,
        lastError: null,
      };
    });
  }

  /** Origins to try now, in order: those not marked down; if all are, the one that recovers first. */
  private candidates(): Origin[] {
    const now = this.opts.clock.now();
    const live = this.origins.filter((o) => o.downUntil <= now);
    if (live.length > 0) return live;
    return [this.origins.reduce((a, b) => (b.downUntil < a.downUntil ? b : a))];
  }

  /**
   * GET `pathAndQuery` (already validated: starts with one '/', no dot segments) from the first
   * origin that answers; `conditional` adds validators (If-None-Match, If-Modified-Since).
   */
  async fetch(pathAndQuery: string, conditional: Record<string, string> = {}): Promise<FetchResult> {
    let lastBad: UpstreamResponse | undefined;
    let last: Attempt | undefined;
    for (const origin of this.candidates()) {
      let attempt = await this.attempt(origin, pathAndQuery, conditional);
      if (attempt.kind === 'error' && attempt.code && STALE_SOCKET_CODES.has(attempt.code)) {
        attempt = await this.attempt(origin, pathAndQuery, conditional);
      }
      last = attempt;
      if (attempt.kind === 'response') {
        if (!FAILOVER_STATUS.has(attempt.response.status)) {
          this.markUp(origin);
          this.opts.onAttempt?.(origin.url, 'ok');
          return { ok: true, response: attempt.response };
        }
        lastBad = attempt.response;
        this.markDown(origin, `HTTP ${attempt.response.status}`);
        this.opts.onAttempt?.(origin.url, 'bad_gateway');
        continue;
      }
      this.opts.onAttempt?.(origin.url, attempt.outcome);
      if (attempt.outcome === 'too_large') {
        // Not the origin's fault: another origin would send the same object.
        return { ok: false, status: 502, message: attempt.message };
      }
      this.markDown(origin, attempt.message);
    }
    if (last?.kind === 'error' && last.outcome === 'timeout') return { ok: false, status: 504, message: last.message };
    if (lastBad) return { ok: true, response: lastBad };
    return { ok: false, status: 502, message: last?.kind === 'error' ? last.message : 'no origin answered' };
  }

  private async attempt(origin: Origin, pathAndQuery: string, conditional: Record<string, string>): Promise<Attempt> {
    origin.requests++;
    try {
      const res = await origin.pool.request({
        path: origin.pathPrefix + pathAndQuery,
        method: 'GET',
        headers: { ...this.opts.headers, ...conditional },
      });
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > this.opts.maxObjectBytes) {
        discard(res.body);
        throw new TooLarge(`object of ${declared} bytes exceeds MAX_OBJECT_BYTES`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.opts.maxObjectBytes) {
          discard(res.body);
          throw new TooLarge(`object exceeds MAX_OBJECT_BYTES (${this.opts.maxObjectBytes})`);
        }
        chunks.push(chunk as Buffer);
      }
      return {
        kind: 'response',
        response: { status: res.statusCode, headers: res.headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), origin: origin.url },
      };
    } catch (err) {
      if (err instanceof TooLarge) return { kind: 'error', outcome: 'too_large', message: err.message };
      const code = (err as { code?: string }).code;
      const timeout = code !== undefined && TIMEOUT_CODES.has(code);
      return {
        kind: 'error',
        outcome: timeout ? 'timeout' : 'connect_error',
        message: `${origin.url}: ${code ?? ''} ${(err as Error).message}`.trim(),
        code,
      };
    }
  }

  private markDown(origin: Origin, reason: string): void {
    origin.failures++;
    origin.lastError = reason;
    origin.downUntil = this.opts.clock.now() + this.opts.failTimeoutMs;
    this.log.warn({ origin: origin.url, reason, skipForMs: this.opts.failTimeoutMs }, 'origin failed');
  }

  private markUp(origin: Origin): void {
    if (origin.downUntil !== 0) {
      origin.downUntil = 0;
      this.log.info({ origin: origin.url }, 'origin answering again');
    }
  }

  status(): OriginState[] {
    const now = this.opts.clock.now();
    return this.origins.map((o) => ({
      url: o.url,
      up: o.downUntil <= now,
      downUntil: o.downUntil > now ? o.downUntil : null,
      requests: o.requests,
      failures: o.failures,
      lastError: o.lastError,
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.origins.map((o) => o.pool.close().catch(() => o.pool.destroy())));
  }
}
