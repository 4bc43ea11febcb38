import { Client } from 'undici';

export interface HealthProbeOptions {
  /** The origin's scheme, host and port. */
  origin: string;
  /** Path asked for, already with the origin URL's path prefix. */
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** A probe's answer body is not needed; this much is read before the connection is dropped instead. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * One GET of an origin's health path over a connection of its own, so a probe never queues behind
 * the requests (possibly hung) on the origin's pool. Any answer below 500 counts as "answering":
 * the probe asks whether the server responds, and an origin without a health endpoint (a plain
 * static server) still answers 404; a 5xx (a draining spherecast origin says 503) does not count.
 */
export class HealthProbe {
  private readonly client: Client;
  private readonly opts: HealthProbeOptions;

  constructor(opts: HealthProbeOptions) {
    this.opts = opts;
    this.client = new Client(opts.origin, {
      connectTimeout: Math.min(opts.connectTimeoutMs, opts.timeoutMs),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  /** Null when the origin answered within the timeout, else why not. */
  async run(): Promise<string | null> {
    try {
      const res = await this.client.request({
        path: this.opts.path,
        method: 'GET',
        headers: this.opts.headers,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.body.dump({ limit: BODY_LIMIT_BYTES });
      return res.statusCode < 500 ? null : `HTTP ${res.statusCode}`;
    } catch (err) {
      const e = err as { code?: string; name?: string; message: string };
      if (e.name === 'TimeoutError') return `no answer within ${this.opts.timeoutMs} ms`;
      return `${e.code ?? ''} ${e.message}`.trim();
    }
  }

  async close(): Promise<void> {
    await this.client.destroy();
  }
}
