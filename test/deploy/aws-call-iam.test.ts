// The pure pieces of the IAM cross-check: what the AWS_CALL_LOG recorder writes for a call, and the
// table that maps a call to its IAM action and resource.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describeAwsCall } from '../../src/shared/aws-call-log';
import { iamRequestOf, parseCallLog, queueArn, type Deployment } from './fixtures/aws-call-iam';

const d: Deployment = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };

t.test('the recorder names the service, the operation and what the call touches', async (t) => {
  t.same(describeAwsCall('s3', 'HeadObjectCommand', { Bucket: 'b', Key: 'recordings/a.mp4', IfMatch: 'x' }), { service: 's3', operation: 'HeadObject', bucket: 'b', key: 'recordings/a.mp4' });
  t.same(describeAwsCall('s3', 'ListObjectsV2Command', { Bucket: 'b', Prefix: 'vod/' }), { service: 's3', operation: 'ListObjectsV2', bucket: 'b', prefix: 'vod/' });
  t.same(describeAwsCall('sqs', 'ReceiveMessageCommand', { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', MaxNumberOfMessages: 1 }), { service: 'sqs', operation: 'ReceiveMessage', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
  t.same(describeAwsCall('sns', 'PublishCommand', { TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: 'secret body' }), { service: 'sns', operation: 'Publish', topicArn: 'arn:aws:sns:eu-west-1:1:t' }, 'message bodies are never logged');
  t.same(describeAwsCall('s3', 'PutObjectCommand', undefined), { service: 's3', operation: 'PutObject' });
});

t.test('S3 object calls map to object ARNs; HEAD and GET both need s3:GetObject; multipart steps need s3:PutObject', async (t) => {
  const obj = (operation: string) => iamRequestOf({ service: 's3', operation, bucket: 'bkt', key: 'vod/x/index.m3u8' }, d);
  for (const op of ['GetObject', 'HeadObject']) t.same(obj(op), { action: 's3:GetObject', resource: 'arn:aws:s3:::bkt/vod/x/index.m3u8' }, op);
  for (const op of ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload']) t.equal(obj(op).action, 's3:PutObject', op);
  t.equal(obj('AbortMultipartUpload').action, 's3:AbortMultipartUpload');
  t.equal(obj('DeleteObject').action, 's3:DeleteObject');
  t.same(iamRequestOf({ service: 's3', operation: 'ListObjectsV2', bucket: 'bkt', prefix: 'vod/' }, d), { action: 's3:ListBucket', resource: 'arn:aws:s3:::bkt' }, 'listing is a bucket action');
  t.throws(() => iamRequestOf({ service: 's3', operation: 'GetObject', bucket: 'bkt' }, d), /without a key/);
});

t.test('SQS calls map to the queue ARN: from an AWS queue URL, or the deployment for a local endpoint', async (t) => {
  t.equal(queueArn('https://sqs.us-east-2.amazonaws.com/210987654321/jobs', d), 'arn:aws:sqs:us-east-2:210987654321:jobs');
  t.equal(queueArn('http://127.0.0.1:9324/000000000000/spherecast-test-TranscodingQueue', d), 'arn:aws:sqs:eu-west-1:123456789012:spherecast-test-TranscodingQueue');
  t.throws(() => queueArn('http://127.0.0.1:9324/jobs', d), /not/);
  const sqs = (operation: string) => iamRequestOf({ service: 'sqs', operation, queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q' }, d);
  for (const op of ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'SendMessage', 'GetQueueAttributes']) t.same(sqs(op), { action: `sqs:${op}`, resource: 'arn:aws:sqs:eu-west-1:123456789012:q' }, op);
  t.equal(sqs('DeleteMessageBatch').action, 'sqs:DeleteMessage', 'a batch needs the single-message action');
});

t.test('SNS Publish maps to the topic; an unknown call is an error, not a pass', async (t) => {
  t.same(iamRequestOf({ service: 'sns', operation: 'Publish', topicArn: 'arn:aws:sns:eu-west-1:123456789012:done' }, d), { action: 'sns:Publish', resource: 'arn:aws:sns:eu-west-1:123456789012:done' });
  t.throws(() => iamRequestOf({ service: 's3', operation: 'PutBucketPolicy', bucket: 'b' }, d), /no IAM mapping for s3 PutBucketPolicy/);
  t.throws(() => iamRequestOf({ service: 'dynamodb', operation: 'GetItem' }, d), /no IAM mapping/);
});

t.test('a call log is one JSON object per line', async (t) => {
  t.same(parseCallLog('{"service":"s3","operation":"PutObject","bucket":"b","key":"k"}\n\n{"service":"sqs","operation":"ReceiveMessage"}\n'), [
    { service: 's3', operation: 'PutObject', bucket: 'b', key: 'k' },
    { service: 'sqs', operation: 'ReceiveMessage' },
  ]);
});

t.test('AWS_CALL_LOG is a documented setting of every program that calls AWS', async (t) => {
  for (const program of ['origin', 'transcoder']) {
    const help = spawnSync(process.execPath, [resolve(`dist/${program}.js`), '--help'], { encoding: 'utf8' });
    t.equal(help.status, 0, `${program} --help`);
    t.match(help.stdout, /AWS_CALL_LOG[^\n]*audit aid/, `${program} --help describes AWS_CALL_LOG`);
  }
});
