import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { SpherecastError } from '../shared/errors';
import { retry } from '../shared/retry';
import type { CompletionNotice } from './completion-notice';
import type { Notifier } from './notifier';

export interface WebhookNotifierOptions {
  readonly url: string;
  /** Signs each notice when not empty. */
  readonly secret: string;
  /** Tries per notice. */
  readonly attempts: number;
  readonly timeoutMs: number;
  /** Backoff before retry n: random in [0, min(maxMs, baseMs x 2^(n-1))]. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

/**
 * The signature header of a notice: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`
 * with the shared secret. The timestamp is signed too so a receiver can refuse old replays. Pure.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** 408, 429 and 5xx may pass on a retry; any other answer will not. Pure. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

class WebhookStatusError extends Error {
  constructor(readonly status: number) {
    super(`answered HTTP ${status}`);
  }
}

/**
 * POSTs the notice as JSON. Every attempt of one notice carries the same `X-Spherecast-Delivery`
 * id (receivers can drop duplicates) and a fresh timestamp and signature. Network errors,
 * timeouts, 408, 429 and 5xx are retried with exponential backoff and full jitter; any 2xx is
 * delivered; other answers fail at once.
 */
export class WebhookNotifier implements Notifier {
  readonly target: string;

  constructor(private readonly opts: WebhookNotifierOptions) {
    const u = new URL(opts.url);
    this.target = `${u.origin}${u.pathname}`;
  }

  async send(notice: CompletionNotice, signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify(notice);
    const delivery = randomUUID();
    const backoff = this.opts.backoff ?? { baseMs: 1000, maxMs: 30_000 };
    try {
      await retry(
        async () => {
          const timestamp = Math.floor(Date.now() / 1000);
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'user-agent': 'spherecast-transcoder',
            'x-spherecast-event': `transcode.${notice.status}`,
            'x-spherecast-delivery': delivery,
            'x-spherecast-timestamp': String(timestamp),
          };
          if (this.opts.secret) headers['x-spherecast-signature'] = webhookSignature(this.opts.secret, timestamp, body);
          const timeout = AbortSignal.timeout(this.opts.timeoutMs);
          const res = await request(this.opts.url, {
            method: 'POST',
            body,
            headers,
            headersTimeout: this.opts.timeoutMs,
            bodyTimeout: this.opts.timeoutMs,
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
          await res.body.dump();
          if (res.statusCode < 200 || res.statusCode >= 300) throw new WebhookStatusError(res.statusCode);
        },
        {
          attempts: this.opts.attempts,
          ...backoff,
          signal,
          retryable: (err) => !(err instanceof WebhookStatusError) || retryableStatus(err.status),
        },
      );
    } catch (err) {
      throw new SpherecastError('SC_ERR_NOTIFY', [this.target, (err as Error).message], { cause: err });
    }
  }

  async close(): Promise<void> {}
}
