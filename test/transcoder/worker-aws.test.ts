// The worker process against S3 and SQS protocol servers started here (s3rver, local-aws-sqs).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'hls-parser';
import { createLogger } from '../../src/shared/logger';
import { S3ObjectStore } from '../../src/shared/object-store-s3';
import { SqsJobQueue } from '../../src/shared/job-queue-sqs';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { startS3rver } from '../fixtures/s3rver-process';
import { startSqsServer } from '../fixtures/sqs-server';
import { makeClip, SMALL_LADDER, startWorkerProcess, tempDir, until } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

t.test('S3 ingress/egress and an SQS queue: visibility extended, published with headers, message deleted after', async (t) => {
  const s3dir = mkdtempSync(join(tmpdir(), 'sc-tx-s3rver-'));
  t.teardown(() => rmSync(s3dir, { recursive: true, force: true }));
  const s3 = await startS3rver({ directory: s3dir, buckets: ['ingress', 'egress'] });
  t.teardown(() => s3.stop());
  const sqsEndpoint = await startSqsServer(t);
  const admin = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  t.teardown(() => admin.destroy());
  const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: `transcode-${process.pid}` }));

  const media = tempDir(t, 'aws');
  const clip = await makeClip(join(media, 'clip.mp4'), { width: 640, height: 320, seconds: 4 });
  const ingress = new S3ObjectStore({ bucket: 'ingress', prefix: 'recordings', log, endpoint: s3.endpoint, region: 'us-east-1', credentials });
  const info = await ingress.putFile('stage-1.mp4', clip);
  const queue = new SqsJobQueue({ queueUrl: QueueUrl!, log, endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  t.teardown(() => queue.close());
  await queue.send(buildS3PutEvent({ bucket: 'ingress', key: ingress.bucketKey('stage-1.mp4'), size: info.size, etag: info.etag }));

  const w = startWorkerProcess(t, {
    MEDIA_DIR: media,
    LADDER: SMALL_LADDER,
    SEGMENT_SECONDS: '2',
    RECEIVE_WAIT: '1',
    // Short, so the running job has to extend its visibility (every third of it) to keep its message.
    VISIBILITY_TIMEOUT: '1.5',
    LOG_LEVEL: 'debug',
    INGRESS: 's3://ingress/recordings',
    EGRESS: 's3://egress',
    QUEUE: QueueUrl!,
    S3_ENDPOINT: s3.endpoint,
    SQS_ENDPOINT: sqsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
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
  t.equal(seg.ContentType, 'video/mp2t');
  t.equal(seg.CacheControl, 'public, max-age=86400');

  await until(async () => {
    const a = await admin.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return a.Attributes?.ApproximateNumberOfMessages === '0' && a.Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
  }, 'the message deleted');
  t.pass('the message was deleted');
  t.equal(await w.stop(), 0);
});
