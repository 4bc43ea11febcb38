import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  type QueueAttributeName,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { recordAwsCalls } from './aws-call-log';
import { SpherecastError } from './errors';
import { MAX_DEAD_LETTER_REASON, type JobQueue, type QueueMessage, type ReceiveOptions } from './job-queue';
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
  /** Where deadLetter() sends; default: the queue's RedrivePolicy deadLetterTargetArn. */
  readonly deadLetterQueueUrl?: string;
}

/** The queue name and account of an SQS ARN (`arn:aws:sqs:eu-west-1:123456789012:jobs-dlq`). Pure. */
export function parseSqsArn(arn: string): { account: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:(\d{12}|[^:]+):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/.exec(arn);
  return m ? { account: m[1], name: m[2] } : undefined;
}

/**
 * An SQS queue through @aws-sdk/client-sqs. Long polls are capped at 20 s (SQS's maximum), so a
 * longer `waitSeconds` returns empty after 20 s and the caller polls again.
 *
 * Dead-lettering is SQS's own: the queue's RedrivePolicy (deploy/ sets `maxReceiveCount` and the
 * dead-letter queue ARN) moves a message once it has been received that many times. This class
 * does not count receives itself; `receiveCount` is SQS's ApproximateReceiveCount.
 *
 * deadLetter() does at once what the redrive policy would do later: SendMessage of the body to the
 * dead-letter queue (with the reason as the `SpherecastReason` message attribute), then
 * DeleteMessage. The dead-letter queue's URL is the `deadLetterQueueUrl` option or, looked up once,
 * GetQueueAttributes(RedrivePolicy) then GetQueueUrl of its deadLetterTargetArn.
 */
export class SqsJobQueue implements JobQueue {
  readonly location: string;
  private readonly queueUrl: string;
  private readonly client: SQSClient;
  private readonly log: Logger;
  private readonly closing = new AbortController();
  private deadLetterUrl: Promise<string> | undefined;

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
    if (opts.deadLetterQueueUrl) this.deadLetterUrl = Promise.resolve(opts.deadLetterQueueUrl);
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

  async deadLetter(msg: QueueMessage, reason: string): Promise<void> {
    const dlq = await this.deadLetterQueue();
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: dlq,
          MessageBody: msg.body,
          MessageAttributes: {
            SpherecastReason: { DataType: 'String', StringValue: reason.slice(0, MAX_DEAD_LETTER_REASON) || 'unknown' },
            SpherecastSourceQueue: { DataType: 'String', StringValue: this.location },
          },
        }),
      );
    } catch (err) {
      throw this.fail(`dead-letter ${msg.id} to ${dlq}`, err);
    }
    // A failed delete leaves a copy on the main queue: redelivered, failed again, dead-lettered
    // again. A duplicate dead letter is better than a lost one.
    await this.delete(msg);
    this.log.warn({ id: msg.id, deadLetterQueue: dlq, reason }, 'message dead-lettered');
  }

  /** The dead-letter queue's URL, looked up once (a failed lookup is tried again next time). */
  private deadLetterQueue(): Promise<string> {
    this.deadLetterUrl ??= this.lookUpDeadLetterQueue().catch((err) => {
      this.deadLetterUrl = undefined;
      throw err;
    });
    return this.deadLetterUrl;
  }

  private async lookUpDeadLetterQueue(): Promise<string> {
    let policy: string | undefined;
    try {
      const res = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['RedrivePolicy'] }));
      policy = res.Attributes?.RedrivePolicy;
    } catch (err) {
      throw this.fail('GetQueueAttributes RedrivePolicy', err);
    }
    let arn: unknown;
    try {
      arn = policy ? (JSON.parse(policy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn : undefined;
    } catch {
      arn = undefined;
    }
    const target = typeof arn === 'string' ? parseSqsArn(arn) : undefined;
    if (!target) {
      throw new SpherecastError('SC_ERR_QUEUE', [this.location, 'no dead-letter queue: the queue has no RedrivePolicy with a deadLetterTargetArn and DEAD_LETTER_QUEUE is not set']);
    }
    try {
      const res = await this.client.send(
        new GetQueueUrlCommand({ QueueName: target.name, QueueOwnerAWSAccountId: /^\d{12}$/.test(target.account) ? target.account : undefined }),
      );
      if (!res.QueueUrl) throw new Error('GetQueueUrl returned no QueueUrl');
      return res.QueueUrl;
    } catch (err) {
      throw this.fail(`GetQueueUrl ${target.name}`, err);
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
