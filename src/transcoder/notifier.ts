import type { Logger } from '../shared/logger';
import type { CompletionNotice } from './completion-notice';

/** One way of telling someone a job is over (an SNS topic, a webhook). */
export interface Notifier {
  /** Where notices go, for logs (no secrets). */
  readonly target: string;
  /** Retries as it sees fit; rejects with SC_ERR_NOTIFY when the notice could not be delivered. */
  send(notice: CompletionNotice, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Sends each notice to every configured notifier at once. A notice that cannot be delivered is
 * logged and dropped: it never fails or holds up the job it reports on beyond its retries.
 */
export class Notifiers {
  private readonly log: Logger;

  constructor(
    private readonly notifiers: readonly Notifier[],
    log: Logger,
  ) {
    this.log = log.child({ component: 'notifier' });
  }

  async send(notice: CompletionNotice, signal?: AbortSignal): Promise<void> {
    await Promise.all(
      this.notifiers.map((n) =>
        n.send(notice, signal).then(
          () => this.log.info({ target: n.target, status: notice.status, asset: notice.asset }, 'completion notice sent'),
          (err) => this.log.error({ err, target: n.target, status: notice.status, asset: notice.asset }, `completion notice not delivered: ${(err as Error).message}`),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.notifiers.map((n) => n.close()));
  }
}
