import { Pool } from 'undici';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import type { ErrorCode } from '../shared/errors';
import { HealthProbe } from './health-probe';
import { OriginHealth } from './origin-health';

/**
 * The origins, in order of preference, each behind an undici keep-alive Pool. Like nginx's
 * proxy_next_upstream: a connect error, a timeout or a 502/503/504 moves on to the next origin.
 * An origin that does not answer (timeout, refused or broken connection, failed health probe) is
 * down: no request goes to it, requests still waiting for its answer are given up at once, and
 * only its health probe (OriginHealth) brings it back. With every origin down a fetch fails at
 * once instead of waiting out UPSTREAM_TIMEOUT, so the cache can answer from a stale copy or fail
 * fast. An origin that answers 502/503/504 is alive but passed over for `failTimeoutMs` while
 * another one is usable. The edge never contacts any host but these: request paths are appended
 * to a fixed origin, never parsed as URLs.
 */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  origin: string;
}

export type FetchResult =
  | { ok: true; response: UpstreamResponse }
  /**
   * No origin gave a usable answer: 503 when every origin is down (then `retryAfterSeconds` says
   * when the next probe is due), 504 when the last attempt timed out, 502 otherwise.
   */
  | { ok: false; status: 502 | 503 | 504; code: ErrorCode; message: string; retryAfterSeconds?: number };

/** `origin_down`: given up while waiting for the answer, because the origin was found down meanwhile. */
export type UpstreamOutcome = 'ok' | 'connect_error' | 'timeout' | 'bad_gateway' | 'too_large' | 'origin_down';

export interface OriginPoolOptions {
  origins: readonly string[];
  connectTimeoutMs: number;
  timeoutMs: number;
  /** How long an origin that answered 502/503/504 is passed over while another one is usable. */
  failTimeoutMs: number;
  health: { path: string; intervalMs: number; timeoutMs: number; backoffBaseMs: number; backoffMaxMs: number };
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
  /** Answering, as far as the edge knows; a down origin gets no requests, only health probes. */
  up: boolean;
  /** When a down origin's next health probe is due (clock time). */
  nextProbeAt: number | null;
  /** Until when an origin that answered 502/503/504 is passed over for the others. */
  passedOverUntil: number | null;
  requests: number;
  failures: number;
  lastError: string | null;
}

interface Origin {
  url: string;
  pathPrefix: string;
  pool: Pool;
  health: OriginHealth;
  probe: HealthProbe;
  /** Requests still waiting for this origin's response head: given up when it goes down. */
  waiting: Set<AbortController>;
  passedOverUntil: number;
  requests: number;
  failures: number;
  lastError: string | null;
}

const FAILOVER_STATUS = new Set([502, 503, 504]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** A reused keep-alive socket the origin had just closed: worth one immediate retry on the same origin. */
const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

class TooLarge extends Error {}
class OriginDown extends Error {}

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
      const pathPrefix = u.pathname.replace(/\/+$/, '');
      const probe = new HealthProbe({
        origin: u.origin,
        path: pathPrefix + opts.health.path,
        headers: opts.headers,
        timeoutMs: opts.health.timeoutMs,
        connectTimeoutMs: opts.connectTimeoutMs,
      });
      const origin: Origin = {
        url,
        pathPrefix,
        pool: new Pool(u.origin, {
          connections: opts.connections,
          connectTimeout: opts.connectTimeoutMs,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
          keepAliveTimeout: 30_000,
          pipelining: 1,
        }),
        probe,
        health: new OriginHealth({
          probe: () => probe.run(),
          intervalMs: opts.health.intervalMs,
          backoffBaseMs: opts.health.backoffBaseMs,
          backoffMaxMs: opts.health.backoffMaxMs,
          clock: opts.clock,
          onDown: (reason) => this.wentDown(origin, reason),
          onUp: () => this.log.info({ origin: url }, 'origin answering again'),
        }),
        waiting: new Set(),
        passedOverUntil: 0,
        requests: 0,
        failures: 0,
        lastError: null,
      };
      return origin;
    });
  }

  /** Starts the health probes of the origins. */
  start(): void {
    for (const o of this.origins) o.health.start();
  }

  /**
   * Origins to try now, in order: those up and not passed over; if every one that is up is passed
   * over, the one whose time runs out first. None when every origin is down.
   */
  private candidates(): Origin[] {
    const now = this.opts.clock.now();
    const up = this.origins.filter((o) => o.health.up);
    if (up.length === 0) return [];
    const preferred = up.filter((o) => o.passedOverUntil <= now);
    if (preferred.length > 0) return preferred;
    return [up.reduce((a, b) => (b.passedOverUntil < a.passedOverUntil ? b : a))];
  }

  /** The answer while every origin is down: at once, with the time of the next probe as Retry-After. */
  private allDown(): FetchResult {
    const now = this.opts.clock.now();
    const next = this.origins.map((o) => o.health.nextProbeAt).filter((at): at is number => at !== null);
    const waitMs = next.length > 0 ? Math.min(...next) - now : 0;
    return {
      ok: false,
      status: 503,
      code: 'SC_ERR_ORIGINS_DOWN',
      message: 'every origin is down',
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    };
  }

  /**
   * GET `pathAndQuery` (already validated: starts with one '/', no dot segments) from the first
   * origin that answers; `conditional` adds validators (If-None-Match, If-Modified-Since).
   * `held`: a request the origin may hold (an LL-HLS blocking reload or hinted part), waited for
   * `timeoutMs` instead of the usual timeout; its 503 is the origin's answer (the part did not
   * appear in time), passed on as it is rather than failed over.
   */
  async fetch(pathAndQuery: string, conditional: Record<string, string> = {}, held?: { timeoutMs: number }): Promise<FetchResult> {
    let lastBad: UpstreamResponse | undefined;
    let last: Attempt | undefined;
    for (const origin of this.candidates()) {
      // Found down while an earlier origin was being tried.
      if (!origin.health.up) continue;
      let attempt = await this.attempt(origin, pathAndQuery, conditional, held?.timeoutMs);
      if (attempt.kind === 'error' && attempt.code && STALE_SOCKET_CODES.has(attempt.code)) {
        attempt = await this.attempt(origin, pathAndQuery, conditional, held?.timeoutMs);
      }
      last = attempt;
      if (attempt.kind === 'response') {
        if (!FAILOVER_STATUS.has(attempt.response.status) || (held && attempt.response.status === 503)) {
          origin.passedOverUntil = 0;
          this.opts.onAttempt?.(origin.url, 'ok');
          return { ok: true, response: attempt.response };
        }
        lastBad = attempt.response;
        this.passOver(origin, `HTTP ${attempt.response.status}`);
        this.opts.onAttempt?.(origin.url, 'bad_gateway');
        continue;
      }
      this.opts.onAttempt?.(origin.url, attempt.outcome);
      if (attempt.outcome === 'too_large') {
        // Not the origin's fault: another origin would send the same object.
        return { ok: false, status: 502, code: 'SC_ERR_UPSTREAM', message: attempt.message };
      }
      if (attempt.outcome !== 'origin_down') {
        origin.failures++;
        origin.lastError = attempt.message;
        origin.health.failed(attempt.message);
      }
    }
    if (last === undefined) return this.allDown();
    if (last.kind === 'error' && last.outcome === 'timeout') return { ok: false, status: 504, code: 'SC_ERR_UPSTREAM_TIMEOUT', message: last.message };
    if (lastBad) return { ok: true, response: lastBad };
    if (last.kind === 'error' && last.outcome === 'origin_down' && !this.origins.some((o) => o.health.up)) return this.allDown();
    return { ok: false, status: 502, code: 'SC_ERR_UPSTREAM', message: last.kind === 'error' ? last.message : 'no origin answered' };
  }

  private async attempt(origin: Origin, pathAndQuery: string, conditional: Record<string, string>, timeoutMs?: number): Promise<Attempt> {
    origin.requests++;
    const giveUp = new AbortController();
    origin.waiting.add(giveUp);
    try {
      let res;
      try {
        res = await origin.pool.request({
          path: origin.pathPrefix + pathAndQuery,
          method: 'GET',
          headers: { ...this.opts.headers, ...conditional },
          signal: giveUp.signal,
          ...(timeoutMs !== undefined ? { headersTimeout: timeoutMs, bodyTimeout: timeoutMs } : {}),
        });
      } finally {
        // Once the head is in, the body's own idle timeout applies: a body still arriving is
        // not cut off because a probe failed meanwhile.
        origin.waiting.delete(giveUp);
      }
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
      if (giveUp.signal.aborted) return { kind: 'error', outcome: 'origin_down', message: `${origin.url}: given up, the origin was found down` };
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

  /** It answered, but with 502/503/504: try the others first for a while. */
  private passOver(origin: Origin, reason: string): void {
    origin.failures++;
    origin.lastError = reason;
    origin.passedOverUntil = this.opts.clock.now() + this.opts.failTimeoutMs;
    this.log.warn({ origin: origin.url, reason, passOverForMs: this.opts.failTimeoutMs }, 'origin failed');
  }

  /** Every request still waiting for its answer is given up, so it can fail over or be answered stale now. */
  private wentDown(origin: Origin, reason: string): void {
    origin.lastError = reason;
    this.log.warn({ origin: origin.url, reason, waiting: origin.waiting.size }, 'origin down: probing it until it answers');
    for (const w of origin.waiting) w.abort(new OriginDown(reason));
    origin.waiting.clear();
  }

  status(): OriginState[] {
    const now = this.opts.clock.now();
    return this.origins.map((o) => ({
      url: o.url,
      up: o.health.up,
      nextProbeAt: o.health.nextProbeAt,
      passedOverUntil: o.passedOverUntil > now ? o.passedOverUntil : null,
      requests: o.requests,
      failures: o.failures,
      lastError: o.lastError,
    }));
  }

  async close(): Promise<void> {
    for (const o of this.origins) o.health.close();
    await Promise.all(this.origins.map((o) => Promise.all([o.pool.close().catch(() => o.pool.destroy()), o.probe.close()])));
  }
}
