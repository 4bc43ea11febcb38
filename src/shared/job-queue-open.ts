import type { Clock } from './clock';
import { SpherecastError } from './errors';
import type { JobQueue } from './job-queue';
import { localFolderOf } from './local-folder';
import { LocalJobQueue } from './job-queue-local';
import { SqsJobQueue } from './job-queue-sqs';
import type { Logger } from './logger';

export interface OpenJobQueueOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  /** Local queues only; on SQS the queue's redrive policy decides. */
  readonly maxReceiveCount?: number;
  /** An SQS-compatible server; defaults to the queue URL's origin for non-AWS hosts. */
  readonly sqsEndpoint?: string;
  readonly region?: string;
  /** AWS_CALL_LOG: record every SQS call in this file. */
  readonly callLog?: string;
  /** SQS only: where deadLetter() sends (default: from the queue's RedrivePolicy). */
  readonly deadLetterQueueUrl?: string;
}

/**
 * `file:///abs/path` or a plain path -> LocalJobQueue; any http(s) URL (an SQS queue URL such as
 * `https://sqs.eu-west-1.amazonaws.com/123456789012/jobs`) -> SqsJobQueue. Anything else is an
 * SC_ERR_CONFIG naming the URL.
 */
export function openJobQueue(url: string, opts: OpenJobQueueOptions): JobQueue {
  const bad = (why: string): SpherecastError =>
    new SpherecastError('SC_ERR_CONFIG', [
      `job queue URL ${JSON.stringify(url)} ${why}; use file:///absolute/path, a path, or an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`,
    ]);
  if (typeof url !== 'string' || url.trim() === '') throw bad('is empty');
  if (/^https?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad('is not a valid URL');
    }
    if (parsed.pathname.split('/').filter(Boolean).length < 1) throw bad('names no queue');
    return new SqsJobQueue({ queueUrl: url, log: opts.log, endpoint: opts.sqsEndpoint, region: opts.region, callLog: opts.callLog, deadLetterQueueUrl: opts.deadLetterQueueUrl });
  }
  return new LocalJobQueue({ root: localFolderOf(url, bad), log: opts.log, clock: opts.clock, maxReceiveCount: opts.maxReceiveCount });
}
