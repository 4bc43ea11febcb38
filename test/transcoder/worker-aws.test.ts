// The worker process against S3 and SQS protocol servers started here (s3rver, local-aws-sqs).
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'hls-parser';
import { createLogger } from '../../src/shared/logger';
import { S3ObjectStore } from '../../src/shared/object-store-s3';
import { SqsJobQueue } from '../../src/shared/job-queue-sqs';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { startS3rver } from '../fixtures/s3rver-process';
import { startSqsServer } from '../fixtures/sqs-server';
import { makeClip, SMALL_LADDER, startRecorder, startWorkerProcess, tempDir, until } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver with the ingress and egress buckets and local-aws-sqs, each stopped at teardown. */
async function servers(t: Test) {
  const s3dir = mkdtempSync(join(tmpdir(), 'sc-tx-s3rver-'));
  t.teardown(() => rmSync(s3dir, { recursive: true, force: true }));
  const s3 = await startS3rver({ directory: s3dir, buckets: ['ingress', 'egress'] });
  t.teardown(() => s3.stop());
  const sqsEndpoint = await startSqsServer(t);
  const admin = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  t.teardown(() => admin.destroy());
  // What the worker process needs to reach both.
  const env = {
    S3_ENDPOINT: s3.endpoint,
    SQS_ENDPOINT: sqsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
  return { s3, sqsEndpoint, admin, env };
}

t.test('S3 ingress/egress and an SQS queue: visibility extended, published with headers, message deleted after', async (t) => {
  const { s3, sqsEndpoint, admin, env } = await servers(t);
  const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: `transcode-${process.pid}` }));

  const media = tempDir(t, 'aws');
  const clip = await makeClip(join(media, 'clip.mp4'), { width: 640, height: 320, seconds: 4 });
  const ingress = new S3ObjectStore({ bucket: 'ingress', prefix: 'recordings', log, endpoint: s3.endpoint, region: 'us-east-1', credentials });
  const info = await ingress.putFile('stage-1.mp4', clip);
  const queue = new SqsJobQueue({ queueUrl: QueueUrl!, log, endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  t.teardown(() => queue.close());
  await queue.send(buildS3PutEvent({ bucket: 'ingress', key: ingress.bucketKey('stage-1.mp4'), size: info.size, etag: info.etag }));

  const sns = await startRecorder(t, () => ({ status: 200, type: 'text/xml', body: SNS_PUBLISH_OK }));
  const w = startWorkerProcess(t, {
    MEDIA_DIR: media,
    LADDER: SMALL_LADDER,
    LADDER_360: SMALL_LADDER,
    SEGMENT_SECONDS: '2',
    RECEIVE_WAIT: '1',
    NOTIFY_SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:vod-done',
    SNS_ENDPOINT: sns.url,
    // Short, so the running job has to extend its visibility (every third of it) to keep its message.
    VISIBILITY_TIMEOUT: '1.5',
    LOG_LEVEL: 'debug',
    INGRESS: 's3://ingress/recordings',
    EGRESS: 's3://egress',
    QUEUE: QueueUrl!,
    ...env,
  });
  const done = await w.waitFor((l) => l.msg === 'job done', 'job done');
  t.equal(done.key, 'stage-1.mp4', 'the ingress prefix was taken off the event key');
  t.ok(w.lines.some((l) => l.msg === 'visibility extended'), 'visibility extended while the job ran');
  t.equal(w.lines.filter((l) => l.msg === 'job started').length, 1, 'the message was not redelivered meanwhile');

  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  t.teardown(() => client.destroy());
  const master = await client.send(new GetObjectCommand({ Bucket: 'egress', Key: 'stage-1/MANIFEST.M3U8' }));
  t.equal(master.ContentType, 'application/vnd.apple.mpegurl');
  t.equal(master.CacheControl, 'public, max-age=60');
  const parsed = parse(await master.Body!.transformToString()) as any;
  t.equal(parsed.variants.length, 3);
  const playlist = parse(await (await client.send(new GetObjectCommand({ Bucket: 'egress', Key: `stage-1/${parsed.variants[0].uri}` }))).Body!.transformToString()) as any;
  const seg = await client.send(new HeadObjectCommand({ Bucket: 'egress', Key: `stage-1/${parsed.variants[0].uri.replace('index.m3u8', playlist.segments[0].uri)}` }));
  t.equal(seg.ContentType, 'video/iso.segment', 'an fMP4 media segment');
  t.equal(seg.CacheControl, 'public, max-age=86400');

  await until(async () => {
    const a = await admin.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return a.Attributes?.ApproximateNumberOfMessages === '0' && a.Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
  }, 'the message deleted');
  t.pass('the message was deleted');
  await until(() => sns.requests.length === 1, 'SNS Publish');
  const form = new URLSearchParams(sns.requests[0].body);
  t.equal(form.get('Action'), 'Publish');
  t.equal(form.get('TopicArn'), 'arn:aws:sns:us-east-1:123456789012:vod-done');
  t.match(JSON.parse(form.get('Message')!), { status: 'succeeded', asset: 'stage-1', source: { bucket: 'ingress', key: 'recordings/stage-1.mp4' }, master: { key: 'stage-1/MANIFEST.M3U8', url: 's3://egress/stage-1/MANIFEST.M3U8' } });
  t.equal(await w.stop(), 0);
});

t.test('SQS: a job that fails for good goes to the RedrivePolicy\'s dead-letter queue at once with its reason; with the store down, jobs are retried', async (t) => {
  const { s3, sqsEndpoint, admin, env } = await servers(t);
  const dlq = await admin.send(new CreateQueueCommand({ QueueName: `transcode-dlq-${process.pid}` }));
  const dlqArn = (await admin.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const { QueueUrl } = await admin.send(
    new CreateQueueCommand({
      QueueName: `transcode-r-${process.pid}`,
      Attributes: { RedrivePolicy: JSON.stringify({ maxReceiveCount: 5, deadLetterTargetArn: dlqArn }) },
    }),
  );
  const media = tempDir(t, 'aws-dlq');
  const ingress = new S3ObjectStore({ bucket: 'ingress', log, endpoint: s3.endpoint, region: 'us-east-1', credentials });
  const queue = new SqsJobQueue({ queueUrl: QueueUrl!, log, endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  t.teardown(() => queue.close());
  const text = await ingress.putBuffer('notes.mp4', 'not a video at all\n'.repeat(10));
  await queue.send(buildS3PutEvent({ bucket: 'ingress', key: 'notes.mp4', size: text.size, etag: text.etag }));

  const w = startWorkerProcess(t, {
    MEDIA_DIR: media,
    LADDER: SMALL_LADDER,
    LADDER_360: SMALL_LADDER,
    SEGMENT_SECONDS: '2',
    RECEIVE_WAIT: '1',
    VISIBILITY_TIMEOUT: '2',
    INGRESS: 's3://ingress',
    EGRESS: 's3://egress',
    QUEUE: QueueUrl!,
    ...env,
  });
  const failed = await w.waitFor((l) => /^job failed for good/.test(l.msg), 'failed for good');
  const deadMessages: Array<{ Body?: string; MessageAttributes?: Record<string, { StringValue?: string }> }> = [];
  t.equal(failed.code, 'SC_ERR_MEDIA_REFUSED');
  const dead = await until(async () => {
    const got = await admin.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
    deadMessages.push(...(got.Messages ?? []));
    return deadMessages.length > 0;
  }, 'the dead-letter queue has it').then(() => deadMessages[0]);
  t.match(dead.Body, /notes\.mp4/, 'the original body');
  t.match(dead.MessageAttributes?.SpherecastReason?.StringValue, /^SC_ERR_MEDIA_REFUSED: source notes\.mp4 refused: its content is a text file/);
  await until(async () => {
    const a = await admin.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return a.Attributes?.ApproximateNumberOfMessages === '0' && a.Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
  }, 'the original deleted');
  t.equal(w.lines.filter((l) => l.msg === 'job started').length, 1, 'downloaded once');

  // The store goes down: not the source's fault, so the job stays on the queue and comes back.
  await s3.stop();
  await queue.send(buildS3PutEvent({ bucket: 'ingress', key: 'later.mp4', size: 1000 }));
  const again = await w.waitFor((l) => /^job failed: /.test(l.msg) && l.key === 'later.mp4' && l.receiveCount === 2, 'received again', 90_000);
  t.equal(again.code, 'SC_ERR_STORE');
  t.equal(w.lines.filter((l) => /^job failed for good/.test(l.msg)).length, 1, 'only the text file failed for good');
  t.equal(await w.stop(), 0);
});

const SNS_PUBLISH_OK =
  '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>';
