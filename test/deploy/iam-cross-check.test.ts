// The IAM cross-check: the origin and the transcoder run as processes with AWS_CALL_LOG on, against
// s3rver and local-aws-sqs holding the stack's own bucket and queue names, with the settings their
// user data writes. Every recorded call is mapped to its IAM action and resource and put to
// iam-simulate against the role the stack gives that program; so are the AWS CLI calls of the
// bootstrap scripts (a static list, checked against the scripts). The other way round, a role may
// allow nothing that no call needs, and nothing on Resource "*".
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AwsCall } from '../../src/shared/aws-call-log';
import { createLogger } from '../../src/shared/logger';
import { S3ObjectStore } from '../../src/shared/object-store-s3';
import { SqsJobQueue } from '../../src/shared/job-queue-sqs';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { startS3rver } from '../fixtures/s3rver-process';
import { startSqsServer } from '../fixtures/sqs-server';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { SMALL_LADDER, startRecorder, startWorkerProcess } from '../transcoder/harness';
import { iamRequestOf, parseCallLog, type Deployment, type IamRequest } from './fixtures/aws-call-iam';
import { evaluator, FAKE, resolvedProperties, STACK_CHOICES, userData } from './fixtures/cfn-evaluate';
import { DEPLOY_DIR, loadTemplate } from './fixtures/cfn-template';
import { renderEnvFiles } from './fixtures/env-files';
import { decide, inlinePolicies } from './fixtures/iam-simulation';

const tpl = loadTemplate(join(DEPLOY_DIR, 'spherecast.yaml'));
const ev = evaluator(tpl, STACK_CHOICES);
const deployment: Deployment = { partition: 'aws', region: FAKE.region, accountId: FAKE.accountId };
const log = createLogger({ level: 'silent', name: 'test' });
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

type Role = 'origin' | 'edge' | 'transcoder';
const ROLE_RESOURCE: Record<Role, string> = { origin: 'OriginRole', edge: 'EdgeRole', transcoder: 'TranscoderRole' };
const LAUNCH_TEMPLATE: Record<Role, string> = { origin: 'OriginLaunchTemplate', edge: 'EdgeLaunchTemplate', transcoder: 'TranscoderLaunchTemplate' };
const policies = (role: Role) => inlinePolicies(resolvedProperties(tpl, ev, ROLE_RESOURCE[role])!);
const principal = (role: Role) => `arn:aws:iam::${FAKE.accountId}:role/${FAKE.stackName}-${ROLE_RESOURCE[role]}-ABCDEF123456`;
const ref = (name: string) => String(ev.evaluate({ Ref: name }));
const envOf = (role: Role) => renderEnvFiles(userData(tpl, ev, LAUNCH_TEMPLATE[role]))[`${role}.env`];
const bucketOf = (s3Url: string) => s3Url.slice('s3://'.length).split('/')[0];

const INSTANCE_ID = 'i-0123456789abcdef0';
const releaseObject = `arn:aws:s3:::${ref('ReleaseBucket')}/releases/spherecast.tgz`;
const logStream = (role: Role) => `arn:aws:logs:${FAKE.region}:${FAKE.accountId}:log-group:${ref(`${role[0].toUpperCase()}${role.slice(1)}LogGroup`)}:log-stream:${INSTANCE_ID}/${role}`;

/**
 * Every AWS CLI call the instance scripts make (user data and deploy/instance/*.sh), and what the
 * CloudWatch agent does with the role, as IAM requests with the rendered resources.
 */
const CLI_CALLS: Record<Role, Array<{ command: string; requests: IamRequest[] }>> = {
  origin: [
    { command: 's3 cp', requests: [{ action: 's3:GetObject', resource: releaseObject }] },
    {
      command: 'secretsmanager get-secret-value',
      requests: [ref('PublishSecret'), ref('OriginSecret')].map((resource) => ({ action: 'secretsmanager:GetSecretValue', resource })),
    },
    {
      command: 'ec2 associate-address',
      requests: [
        { action: 'ec2:AssociateAddress', resource: `arn:aws:ec2:${FAKE.region}:${FAKE.accountId}:elastic-ip/eipalloc-0123456789abcdef0` },
        { action: 'ec2:AssociateAddress', resource: `arn:aws:ec2:${FAKE.region}:${FAKE.accountId}:instance/${INSTANCE_ID}` },
      ],
    },
    {
      command: 'autoscaling complete-lifecycle-action',
      requests: [{
        action: 'autoscaling:CompleteLifecycleAction',
        resource: `arn:aws:autoscaling:${FAKE.region}:${FAKE.accountId}:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/${FAKE.stackName}-OriginAutoScalingGroup-1A2B3C4D5E6F`,
      }],
    },
    { command: 'cloudformation signal-resource', requests: [{ action: 'cloudformation:SignalResource', resource: String(ev.evaluate({ Ref: 'AWS::StackId' })) }] },
  ],
  edge: [
    { command: 's3 cp', requests: [{ action: 's3:GetObject', resource: releaseObject }] },
    {
      command: 'secretsmanager get-secret-value',
      requests: [ref('ClientSecret'), ref('OriginSecret')].map((resource) => ({ action: 'secretsmanager:GetSecretValue', resource })),
    },
    { command: 'elbv2 deregister-targets', requests: [{ action: 'elasticloadbalancing:DeregisterTargets', resource: ref('EdgeTargetGroup') }] },
  ],
  transcoder: [{ command: 's3 cp', requests: [{ action: 's3:GetObject', resource: releaseObject }] }],
};
const AGENT_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'];
const agentRequests = (role: Role): IamRequest[] => ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: logStream(role) }));

/** Allowed although no test run makes the call, each with its reason. */
const UNRECORDED: Record<Role, Record<string, string>> = {
  origin: { 's3:AbortMultipartUpload': 'lib-storage aborts a failed multipart upload of a large recording' },
  edge: {},
  transcoder: {
    's3:AbortMultipartUpload': 'lib-storage aborts a failed multipart upload of a large rendition',
  },
};

/** Bash commands the shared bootstrap defines for every role; a role that never calls them needs no permission. */
const SHARED_DEFINITIONS: Record<string, RegExp> = { 'secretsmanager get-secret-value': /\$\(secret "/ };

function scriptsOf(role: Role): string {
  const parts = [userData(tpl, ev, LAUNCH_TEMPLATE[role])];
  if (role === 'edge') parts.push(readFileSync(join(DEPLOY_DIR, 'instance', 'edge-deregister.sh'), 'utf8'));
  return parts.join('\n');
}

async function checkAllowed(t: Test, role: Role, requests: IamRequest[], what: string): Promise<void> {
  for (const req of requests) t.equal(await decide(policies(role), req, principal(role), FAKE.accountId), 'Allowed', `${role} ${what}: ${req.action} on ${req.resource}`);
}

const unique = (requests: IamRequest[]) => [...new Map(requests.map((r) => [`${r.action} ${r.resource}`, r])).values()];
const operations = (calls: AwsCall[]) => [...new Set(calls.map((c) => `${c.service}:${c.operation}`))].sort();

t.test('the AWS CLI calls in the instance scripts are exactly the listed ones, and each role allows them', async (t) => {
  for (const role of Object.keys(CLI_CALLS) as Role[]) {
    const script = scriptsOf(role);
    const found = new Set([...script.matchAll(/\baws ([a-z0-9-]+) ([a-z0-9-]+)/g)].map((m) => `${m[1]} ${m[2]}`));
    for (const [command, used] of Object.entries(SHARED_DEFINITIONS)) if (!used.test(script)) found.delete(command);
    t.same([...found].sort(), CLI_CALLS[role].map((c) => c.command).sort(), `${role}: every CLI call in its scripts is in the list`);
    await checkAllowed(t, role, CLI_CALLS[role].flatMap((c) => c.requests), 'script');
    await checkAllowed(t, role, agentRequests(role), 'CloudWatch agent');
  }
});

t.test('the edge program makes no AWS call of its own', async (t) => {
  const sources = readdirSync(join(DEPLOY_DIR, '..', 'src', 'edge')).filter((f) => f.endsWith('.ts'));
  const sdk = sources.filter((f) => /@aws-sdk\//.test(readFileSync(join(DEPLOY_DIR, '..', 'src', 'edge', f), 'utf8')));
  t.same(sdk, [], 'no AWS SDK client in src/edge: its only AWS calls are the scripts above');
});

const recorded: Partial<Record<Role, AwsCall[]>> = {};

t.test('every AWS call the origin and the transcoder make is allowed by their role', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'sc-iam-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const originEnv = envOf('origin');
  const transcoderEnv = envOf('transcoder');
  const ingressBucket = bucketOf(originEnv.INGRESS);
  const egressBucket = bucketOf(transcoderEnv.EGRESS);
  t.equal(bucketOf(transcoderEnv.INGRESS), ingressBucket, 'origin and transcoder share the ingress bucket');
  const s3 = await startS3rver({ directory: join(work, 's3'), buckets: [ingressBucket, egressBucket] });
  t.teardown(() => s3.stop());
  const sqsEndpoint = await startSqsServer(t);
  const admin = new SQSClient({ endpoint: sqsEndpoint, region: FAKE.region, credentials });
  t.teardown(() => admin.destroy());
  // The stack's queue name, so the recorded queue URL maps to the stack's queue ARN.
  const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: transcoderEnv.QUEUE.split('/').pop()! }));
  const { QueueUrl: deadLetterUrl } = await admin.send(new CreateQueueCommand({ QueueName: transcoderEnv.DEAD_LETTER_QUEUE!.split('/').pop()! }));
  // No SNS emulator exists for Node: a local endpoint answers Publish as SNS does, so the real SDK's call is recorded.
  const sns = await startRecorder(t, () => ({
    status: 200,
    type: 'text/xml',
    body: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>1</MessageId></PublishResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></PublishResponse>',
  }));
  const aws = { S3_ENDPOINT: s3.endpoint, AWS_REGION: FAKE.region, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };

  // The origin records a short publish and uploads it to the stack's ingress prefix.
  const originLog = join(work, 'origin-calls.jsonl');
  const origin = await startOrigin(t, { RECORD: 'all', INGRESS: originEnv.INGRESS, AWS_CALL_LOG: originLog, ...aws });
  const pub = publish(t, origin.rtmp('iam'), { seconds: 3, size: '320x180' });
  await waitFor('publisher done', () => (pub.proc.exitCode !== null ? true : undefined), 30_000);
  const uploaded = await waitFor('the recording uploaded and verified', () => {
    const calls = existsSync(originLog) ? parseCallLog(readFileSync(originLog, 'utf8')) : [];
    return calls.find((c) => c.operation === 'HeadObject');
  }, 60_000);
  t.equal(await origin.stop(), 0);

  // What the bucket notification would send, then the transcoder with the stack's settings.
  const ingress = new S3ObjectStore({ bucket: ingressBucket, log, endpoint: s3.endpoint, region: FAKE.region, credentials });
  t.teardown(() => ingress.close());
  const info = (await ingress.head(uploaded.key!))!;
  const queue = new SqsJobQueue({ queueUrl: QueueUrl!, log, endpoint: sqsEndpoint, region: FAKE.region, credentials });
  t.teardown(() => queue.close());
  await queue.send(buildS3PutEvent({ bucket: ingressBucket, key: uploaded.key!, size: info.size, etag: info.etag }));
  const transcoderLog = join(work, 'transcoder-calls.jsonl');
  // A permanent failure too: a text file posing as a recording is dead-lettered at once.
  const bad = await ingress.putBuffer(`${uploaded.key!.replace(/[^/]*$/, '')}not-video.mp4`, 'this is not a video\n');
  await queue.send(buildS3PutEvent({ bucket: ingressBucket, key: bad.key, size: bad.size, etag: bad.etag }));
  const w = startWorkerProcess(t, {
    ...transcoderEnv,
    SNS_ENDPOINT: sns.url,
    DEAD_LETTER_QUEUE: deadLetterUrl!,
    ...aws,
    QUEUE: QueueUrl!,
    SQS_ENDPOINT: sqsEndpoint,
    MEDIA_DIR: join(work, 'transcoder'),
    SPOT_MONITOR: 'off',
    LADDER: SMALL_LADDER,
    LADDER_360: SMALL_LADDER,
    // The 3 s recording in 1 s chunks: the fleet path (fleet-job.ts), which also queues chunk, audio and stitch jobs.
    SEGMENT_SECONDS: '1',
    CHUNK_SECONDS: '1',
    RECEIVE_WAIT: '1',
    // Short, so the running job extends its visibility as a long one does.
    VISIBILITY_TIMEOUT: '1.5',
    LOG_LEVEL: 'debug',
    AWS_CALL_LOG: transcoderLog,
  });
  await w.waitFor((l) => l.msg === 'job planned for the fleet', 'the recording planned as chunk jobs');
  await w.waitFor((l) => l.msg === 'master published', 'the stitch published the master', 120_000);
  await w.waitFor((l) => /dead-lettered at once/.test(String(l.msg)), 'the bad source dead-lettered');
  await waitFor('both completion notices sent', () => (sns.requests.length >= 2 ? true : undefined), 30_000);
  t.equal(await w.stop(), 0);

  recorded.origin = parseCallLog(readFileSync(originLog, 'utf8'));
  recorded.transcoder = parseCallLog(readFileSync(transcoderLog, 'utf8'));
  // Guards against a check that passes because nothing was recorded.
  t.same(['s3:HeadObject', 's3:PutObject'].filter((o) => !operations(recorded.origin!).includes(o)), [], 'the origin uploaded and verified');
  const mustHave = ['s3:GetObject', 's3:HeadObject', 's3:PutObject', 'sns:Publish', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:SendMessage'];
  t.same(mustHave.filter((o) => !operations(recorded.transcoder!).includes(o)), [], 'the transcoder received, downloaded, published, extended, dead-lettered, notified and deleted');
  for (const role of ['origin', 'transcoder'] as const) {
    const requests = unique(recorded[role]!.map((c) => iamRequestOf(c, deployment)));
    t.comment(`${role} AWS calls: ${operations(recorded[role]!).join(', ')}`);
    t.comment(`${role} IAM requests: ${[...new Set(requests.map((r) => `${r.action} ${r.resource.replace(/\/[^/]*$/, '/…')}`))].sort().join('; ')}`);
    await checkAllowed(t, role, requests, 'program');
  }
});

t.test('least privilege: each role allows only what a recorded or listed call needs, never on Resource "*"', async (t) => {
  t.ok(recorded.origin && recorded.transcoder, 'the recording test ran first');
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]) as string[];
  for (const role of Object.keys(ROLE_RESOURCE) as Role[]) {
    const needed = new Set([
      ...(recorded[role] ?? []).map((c) => iamRequestOf(c, deployment).action),
      ...CLI_CALLS[role].flatMap((c) => c.requests.map((r) => r.action)),
      ...AGENT_ACTIONS,
      ...Object.keys(UNRECORDED[role]),
    ]);
    for (const { policy } of policies(role)) {
      for (const s of policy.Statement) {
        t.equal(s.Effect, 'Allow', `${role} ${s.Sid}: allow statements only`);
        const extra = list(s.Action).filter((a) => !needed.has(a));
        t.same(extra, [], `${role} ${s.Sid}: no action that no call needs`);
        t.notOk(list(s.Action).some((a) => a.includes('*')), `${role} ${s.Sid}: no action wildcard`);
        t.notOk(list(s.Resource).includes('*'), `${role} ${s.Sid}: no Resource "*"`);
        for (const r of list(s.Resource).filter((x) => x.startsWith('arn:aws:s3:::'))) {
          t.match(r, /^arn:aws:s3:::[a-z0-9.-]+\/[a-z]+\/(\*|[^*]+)$/, `${role} ${s.Sid}: S3 access is to one prefix of one bucket (${r})`);
        }
      }
    }
  }
});
