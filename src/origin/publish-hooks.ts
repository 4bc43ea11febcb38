import { request } from 'undici';
import type { Logger } from '../shared/logger';

/**
 * nginx-rtmp style notifications: `on_publish` (a non-2xx answer refuses the publisher) and
 * `on_publish_done`. Form-encoded POSTs like nginx-rtmp's, so existing receivers work unchanged.
 * Each call has its own timeout and never blocks other streams.
 */
export interface PublishHooksOptions {
  readonly onPublish: string;
  readonly onPublishDone: string;
  readonly timeoutMs: number;
  readonly log: Logger;
}

export interface PublishEvent {
  readonly app: string;
  readonly name: string;
  readonly addr: string;
}

export class PublishHooks {
  private readonly log: Logger;
  constructor(private readonly opts: PublishHooksOptions) {
    this.log = opts.log.child({ component: 'hooks' });
  }

  private async post(url: string, call: string, ev: PublishEvent): Promise<number> {
    const body = new URLSearchParams({ call, app: ev.app, name: ev.name, addr: ev.addr }).toString();
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    await res.body.dump();
    return res.statusCode;
  }

  /** undefined = allowed; otherwise the reason. Fails closed: an unreachable hook refuses. */
  async authorize(ev: PublishEvent): Promise<string | undefined> {
    if (!this.opts.onPublish) return undefined;
    try {
      const status = await this.post(this.opts.onPublish, 'publish', ev);
      return status >= 200 && status < 300 ? undefined : `on_publish answered ${status}`;
    } catch (err) {
      this.log.warn({ code: 'SC_ERR_WEBHOOK', err: (err as Error).message, stream: ev.name }, 'on_publish call failed');
      return `on_publish failed: ${(err as Error).message}`;
    }
  }

  publishDone(ev: PublishEvent): void {
    if (!this.opts.onPublishDone) return;
    this.post(this.opts.onPublishDone, 'publish_done', ev).catch((err) =>
      this.log.warn({ code: 'SC_ERR_WEBHOOK', err: (err as Error).message, stream: ev.name }, 'on_publish_done call failed'),
    );
  }
}
