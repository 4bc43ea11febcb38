import { appendFileSync } from 'node:fs';
import { setting } from './config/config';
import { string } from './config/parsers';

/**
 * An audit aid (AWS_CALL_LOG): a middleware on an AWS SDK v3 client that appends one JSON line per
 * API call to a file: the service, the operation and what it names (bucket and key, queue URL,
 * topic ARN). The deploy tests run the programs with it on and check every recorded call against
 * the IAM role the stack gives that program, so the template cannot drift from the code.
 *
 * The line is written when the call is made, before it is sent, so a call the server refuses is
 * recorded too (on AWS that is exactly the call a missing permission breaks). Writes are
 * synchronous appends of one short line: a line is never interleaved with another process's.
 */
export interface AwsCall {
  readonly service: string;
  readonly operation: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly prefix?: string;
  readonly queueUrl?: string;
  readonly topicArn?: string;
}

/** The subset of an SDK v3 client the recorder needs (S3Client, SQSClient, SNSClient...). */
export interface MiddlewareClient {
  middlewareStack: {
    add(
      mw: (next: (args: any) => Promise<any>, context: any) => (args: any) => Promise<any>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

const FIELDS: Array<[keyof AwsCall, string]> = [
  ['bucket', 'Bucket'],
  ['key', 'Key'],
  ['prefix', 'Prefix'],
  ['queueUrl', 'QueueUrl'],
  ['topicArn', 'TopicArn'],
];

/** The setting every program that calls AWS shares. */
export const awsCallLogSetting = setting(
  'AWS_CALL_LOG',
  '',
  string,
  'audit aid: append one JSON line per AWS API call (service, operation, bucket/key, queue URL, topic ARN) to this file; the deploy tests check each against the stack\'s IAM role (empty = off)',
);

/** What one call names, from the command's input. Pure. */
export function describeAwsCall(service: string, commandName: string, input: Record<string, unknown> | undefined): AwsCall {
  const call: Record<string, string> = { service, operation: commandName.replace(/Command$/, '') };
  for (const [field, param] of FIELDS) {
    const v = input?.[param];
    if (typeof v === 'string') call[field] = v;
  }
  return call as unknown as AwsCall;
}

/** Adds the recorder to `client` when `path` is set (no-op for an empty path). */
export function recordAwsCalls(client: MiddlewareClient, service: string, path: string | undefined): void {
  if (!path) return;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = describeAwsCall(service, String(context?.commandName ?? 'Unknown'), args?.input);
      appendFileSync(path, `${JSON.stringify(call)}\n`);
      return next(args);
    },
    { step: 'initialize', name: 'spherecastAwsCallLog', override: true },
  );
}
