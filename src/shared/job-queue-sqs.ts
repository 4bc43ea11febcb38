import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  type QueueAttributeName,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { recordAwsCalls } from './aws-call-log';
import { SpherecastError } from './errors';
import type { JobQueue, QueueMessage, ReceiveOptions } from './job-queue';
import type { Logger } from './logger';

/** SQS's cap on WaitTimeSeconds. */
export const MAX_WAIT_SECONDS = 20;

export interface SqsJobQueueOptions {
  readonly queueUrl: string;
  readonly log: Logger;
  /** Defaults to the region in an AWS queue URL, then the SDK's region chain. */
  readonly region?: string;
  /** An SQS-compatible server; defaults to the queue URL's origin when that is not an AWS host. */
  readonly endpoint?: string;
  /** Defaults to the SDK's standard credential chain. */
  readonly credentials?: SQSClientConfig['credentials'];
  /** SDK attempts per request (exponential backoff with jitter on throttling, 5xx and network errors). */
  readonly maxAttempts?: number;
  /** AWS_CALL_LOG: append one JSON line per SQS call to this file (see aws-call-log.ts). */
  readonly callLog?: string;
}

/**
 * An SQS queue through @aws-sdk/client-sqs. Long polls are capped at 20 s (SQS's maximum), so a
 * longer `waitSeconds` returns empty after 20 s and the caller polls again.
 *
 * Dead-lettering is SQS's own: the queue's RedrivePolicy (deploy/ sets `maxReceiveCount` and the
 * dead-letter queue ARN) moves a message once it has been received that many times. This class
 * does not count receives itself; `receiveCount` is SQS's ApproximateReceiveCount.
 */
export class SqsJobQueue implements JobQueue {
  readonly location: string;
  private readonly queueUrl: string;
  private readonly client: SQSClient;
  private readonly log: Logger;
  private readonly closing = new AbortController();

  constructor(opts: SqsJobQueueOptions) {
    let url: URL;
    try {
      url = new URL(opts.queueUrl);
    } catch {
      throw new SpherecastError('SC_ERR_CONFIG', [`SQS queue URL ${JSON.stringify(opts.queueUrl)} is not a URL`]);
    }
    if (url.username || url.password) {
      throw new SpherecastError('SC_ERR_CONFIG', ['SQS queue URL must not carry credentials; use the AWS credential chain']);
    }
    this.queueUrl = opts.queueUrl;
    this.location = `${url.origin}${url.pathname}`;
    this.log = opts.log.child({ component: 'job-queue-sqs', location: this.location });
    const awsRegion = /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
    const isAws = /\.amazonaws\.com(\.cn)?$/.test(url.hostname);
    const endpoint = opts.endpoint ?? (isAws ? undefined : url.origin);
    this.client = new SQSClient({
      region: opts.region ?? awsRegion ?? (endpoint ? 'us-east-1' : undefined),
      endpoint,
      credentials: opts.credentials,
      maxAttempts: opts.maxAttempts ?? 4,
      retryMode: 'standard',
      // Long polls hold the connection up to 20 s; leave room beyond that.
      requestHandler: { connectionTimeout: 10_000, requestTimeout: (MAX_WAIT_SECONDS + 15) * 1000 },
    });
    recordAwsCalls(this.client, 'sqs', opts.callLog);
  }

  async send(body: string): Promise<string> {
    try {
      const res = await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
      return res.MessageId ?? '';
    } catch (err) {
      throw this.fail('send', err);
    }
  }

  /** Aborting the signal (or close()) ends a long poll early with no messages. */
  async receive(opts: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    if (signal.aborted) return [];
    try {
      const res = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, Math.floor(opts.maxMessages ?? 1))),
          WaitTimeSeconds: Math.min(MAX_WAIT_SECONDS, Math.max(0, Math.floor(opts.waitSeconds ?? 0))),
          VisibilityTimeout: opts.visibilitySeconds === undefined ? undefined : Math.max(0, Math.ceil(opts.visibilitySeconds)),
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          // The deprecated spelling too: SQS accepts both, and some SQS-compatible servers
          // (local-aws-sqs 2.0.2) only read this one.
          AttributeNames: ['ApproximateReceiveCount' as QueueAttributeName],
        }),
        { abortSignal: signal },
      );
      return (res.Messages ?? []).map((m) => ({
        id: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1') || 1,
      }));
    } catch (err) {
      if (signal.aborted) return [];
      throw this.fail('receive', err);
    }
  }

  async extend(msg: QueueMessage, seconds: number): Promise<void> {
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: msg.receiptHandle,
          VisibilityTimeout: Math.max(0, Math.ceil(seconds)),
        }),
      );
    } catch (err) {
      throw this.fail(`extend ${msg.id}`, err);
    }
  }

  async release(msg: QueueMessage): Promise<void> {
    try {
      await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: msg.receiptHandle, VisibilityTimeout: 0 }));
    } catch (err) {
      // Already visible again or deleted: the release has nothing left to do.
      this.log.warn({ err, id: msg.id }, 'release failed; the message reappears after its visibility timeout');
    }
  }

  async delete(msg: QueueMessage): Promise<void> {
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: msg.receiptHandle }));
    } catch (err) {
      throw this.fail(`delete ${msg.id}`, err);
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.client.destroy();
  }

  private fail(op: string, err: unknown): SpherecastError {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e?.$metadata?.httpStatusCode;
    return new SpherecastError(
      'SC_ERR_QUEUE',
      [this.location, `${op}: ${e?.name ?? 'Error'}${status ? ` HTTP ${status}` : ''}: ${e?.message ?? String(err)}`],
      { cause: err },
    );
  }
}
