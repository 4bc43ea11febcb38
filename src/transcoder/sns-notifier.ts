import { PublishCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { recordAwsCalls } from '../shared/aws-call-log';
import { SpherecastError } from '../shared/errors';
import type { CompletionNotice } from './completion-notice';
import type { Notifier } from './notifier';

export interface SnsNotifierOptions {
  readonly topicArn: string;
  /** Defaults to the topic ARN's region. */
  readonly region?: string;
  /** An SNS-compatible endpoint; empty = AWS. */
  readonly endpoint?: string;
  readonly credentials?: SNSClientConfig['credentials'];
  /** SDK attempts per notice (its standard retry: backoff with jitter on throttling, 5xx and network errors). */
  readonly attempts: number;
  readonly timeoutMs: number;
  /** AWS_CALL_LOG: record every SNS call in this file. */
  readonly callLog?: string;
}

/** The SNS Subject of a notice: ASCII, no line breaks, at most 100 characters. Pure. */
export function snsSubject(notice: CompletionNotice): string {
  const s = `spherecast transcode ${notice.status}: ${notice.asset}`.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/**
 * Publishes the notice as JSON to an SNS topic (sns:Publish), with `status` and `asset` message
 * attributes so subscriptions can filter. A FIFO topic gets the asset as message group.
 */
export class SnsNotifier implements Notifier {
  readonly target: string;
  private readonly client: SNSClient;

  constructor(private readonly opts: SnsNotifierOptions) {
    this.target = opts.topicArn;
    const arnRegion = opts.topicArn.split(':')[3];
    this.client = new SNSClient({
      region: opts.region || arnRegion,
      endpoint: opts.endpoint || undefined,
      credentials: opts.credentials,
      maxAttempts: opts.attempts,
      retryMode: 'standard',
      requestHandler: { connectionTimeout: opts.timeoutMs, requestTimeout: opts.timeoutMs },
    });
    recordAwsCalls(this.client, 'sns', opts.callLog);
  }

  async send(notice: CompletionNotice, signal?: AbortSignal): Promise<void> {
    const fifo = this.opts.topicArn.endsWith('.fifo');
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.opts.topicArn,
          Subject: snsSubject(notice),
          Message: JSON.stringify(notice),
          MessageAttributes: {
            status: { DataType: 'String', StringValue: notice.status },
            asset: { DataType: 'String', StringValue: notice.asset },
          },
          ...(fifo ? { MessageGroupId: notice.asset, MessageDeduplicationId: randomUUID() } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      throw new SpherecastError('SC_ERR_NOTIFY', [this.target, `${e.name ?? 'Error'}${status ? ` HTTP ${status}` : ''}: ${e.message ?? String(err)}`], { cause: err });
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
