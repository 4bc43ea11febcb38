// Completion notices against real HTTP servers started here: the webhook (retries, signature) and
// SNS (the real @aws-sdk/client-sns, whose Query-API request a local endpoint records and answers
// as SNS does; no SNS emulator on npm was fit to run here).
import t from 'tap';
import { createHmac } from 'node:crypto';
import { createLogger } from '../../src/shared/logger';
import { isScError } from '../../src/shared/errors';
import { failedNotice, succeededNotice, type CompletionNotice } from '../../src/transcoder/completion-notice';
import { Notifiers } from '../../src/transcoder/notifier';
import { SnsNotifier, snsSubject } from '../../src/transcoder/sns-notifier';
import { retryableStatus, webhookSignature, WebhookNotifier } from '../../src/transcoder/webhook-notifier';
import { startRecorder } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });
const fast = { baseMs: 10, maxMs: 50 };

const notice: CompletionNotice = succeededNotice({
  asset: 'talk-1700000000',
  source: { bucket: 'ingress', key: 'recordings/talk-1700000000.mp4' },
  masters: ['MANIFEST.M3U8'],
  renditions: [
    { name: '360p', kind: 'video', codec: 'avc1.64001e', width: 720, height: 360, peakBandwidth: 600_000, averageBandwidth: 500_000, duration: 8, segments: 4 },
    { name: 'audio', kind: 'audio', codec: 'mp4a.40.2', channels: 2, peakBandwidth: 70_000, averageBandwidth: 66_000, duration: 8, segments: 4 },
  ],
  duration: 8,
  vodBaseUrl: 'https://cdn.example.com/vod/',
  storeLocation: 's3://egress',
  time: new Date('2026-01-02T03:04:05Z'),
});

t.test('the success notice: asset, source, master key and public URL, renditions, duration', async (t) => {
  t.same(notice, {
    type: 'spherecast.transcode',
    version: 1,
    status: 'succeeded',
    asset: 'talk-1700000000',
    source: { bucket: 'ingress', key: 'recordings/talk-1700000000.mp4' },
    master: { key: 'talk-1700000000/MANIFEST.M3U8', url: 'https://cdn.example.com/vod/talk-1700000000/MANIFEST.M3U8' },
    masters: ['talk-1700000000/MANIFEST.M3U8'],
    renditions: [
      { name: '360p', kind: 'video', codec: 'avc1.64001e', width: 720, height: 360, bandwidth: 600_000, averageBandwidth: 500_000 },
      { name: 'audio', kind: 'audio', codec: 'mp4a.40.2', bandwidth: 70_000, averageBandwidth: 66_000 },
    ],
    duration: 8,
    time: '2026-01-02T03:04:05.000Z',
  });
  const failed = failedNotice({ asset: 'x', source: { bucket: 'b', key: 'x.mp4' }, code: 'SC_ERR_MEDIA', reason: 'zero-byte', time: new Date(0) });
  t.match(failed, { status: 'failed', code: 'SC_ERR_MEDIA', reason: 'zero-byte' });
  t.notOk('master' in failed);
});

t.test('webhook: POSTs JSON, retries 503 with one delivery id, signs each attempt with HMAC-SHA256(secret, timestamp.body)', async (t) => {
  const hook = await startRecorder(t, (n) => (n < 2 ? 503 : 200));
  const w = new WebhookNotifier({ url: `${hook.url}/hooks/vod`, secret: 's3cret', attempts: 5, timeoutMs: 5000, backoff: fast });
  await w.send(notice);
  t.equal(hook.requests.length, 3, 'two 503s, then delivered');
  const ids = new Set(hook.requests.map((r) => r.headers['x-spherecast-delivery']));
  t.equal(ids.size, 1, 'one delivery id across the retries');
  for (const r of hook.requests) {
    t.equal(r.method, 'POST');
    t.equal(r.url, '/hooks/vod');
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.headers['x-spherecast-event'], 'transcode.succeeded');
    t.same(JSON.parse(r.body), notice);
    const ts = String(r.headers['x-spherecast-timestamp']);
    const expected = `sha256=${createHmac('sha256', 's3cret').update(`${ts}.${r.body}`).digest('hex')}`;
    t.equal(r.headers['x-spherecast-signature'], expected, 'the signature checks out on the receiving side');
  }
  t.equal(webhookSignature('k', 1, 'b'), `sha256=${createHmac('sha256', 'k').update('1.b').digest('hex')}`);
});

t.test('webhook: a 4xx is not retried; attempts run out on 5xx; no secret, no signature', async (t) => {
  const refused = await startRecorder(t, () => 400);
  const w1 = new WebhookNotifier({ url: refused.url, secret: '', attempts: 5, timeoutMs: 5000, backoff: fast });
  const e1 = await w1.send(notice).catch((e) => e);
  t.ok(isScError(e1, 'SC_ERR_NOTIFY'));
  t.match(e1.message, /answered HTTP 400/);
  t.equal(refused.requests.length, 1, 'no retry after 400');
  t.notOk('x-spherecast-signature' in refused.requests[0].headers);
  const down = await startRecorder(t, () => 500);
  const w2 = new WebhookNotifier({ url: down.url, secret: '', attempts: 3, timeoutMs: 5000, backoff: fast });
  t.ok(isScError(await w2.send(notice).catch((e) => e), 'SC_ERR_NOTIFY'));
  t.equal(down.requests.length, 3, 'NOTIFY_ATTEMPTS tries');
  t.same([408, 429, 500, 503, 400, 401, 404].map(retryableStatus), [true, true, true, true, false, false, false]);
});

t.test('webhook: nobody listening is retried, then reported; Notifiers logs it and does not throw', async (t) => {
  const gone = await startRecorder(t);
  const url = gone.url;
  await new Promise((r) => setImmediate(r));
  const w = new WebhookNotifier({ url: 'http://127.0.0.1:9/x', secret: '', attempts: 2, timeoutMs: 2000, backoff: fast });
  t.ok(isScError(await w.send(notice).catch((e) => e), 'SC_ERR_NOTIFY'));
  const both = new Notifiers([w, new WebhookNotifier({ url, secret: '', attempts: 1, timeoutMs: 2000 })], log);
  await both.send(notice);
  t.equal(gone.requests.length, 1, 'the working target got it although the other failed');
});

t.test('SNS: the real SDK sends a Query-API Publish with the topic, subject, JSON message and attributes', async (t) => {
  const requestId = '4c1a5d2e-0000-4000-8000-000000000001';
  const sns = await startRecorder(t, () => ({
    status: 200,
    type: 'text/xml',
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
  }));
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:vod-done';
  const n = new SnsNotifier({ topicArn, endpoint: sns.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, attempts: 2, timeoutMs: 5000 });
  t.teardown(() => n.close());
  await n.send(notice);
  t.equal(sns.requests.length, 1);
  const r = sns.requests[0];
  t.equal(r.method, 'POST');
  t.match(r.headers['content-type'], /^application\/x-www-form-urlencoded/);
  t.match(r.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/sns\/aws4_request/, 'signed for sns in the topic\'s region');
  const form = new URLSearchParams(r.body);
  t.equal(form.get('Action'), 'Publish');
  t.equal(form.get('Version'), '2010-03-31');
  t.equal(form.get('TopicArn'), topicArn);
  t.equal(form.get('Subject'), 'spherecast transcode succeeded: talk-1700000000');
  t.same(JSON.parse(form.get('Message')!), notice);
  const attrs: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    t.equal(form.get(`MessageAttributes.entry.${i}.Value.DataType`), 'String');
    attrs[form.get(`MessageAttributes.entry.${i}.Name`)!] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`)!;
  }
  t.same(attrs, { status: 'succeeded', asset: 'talk-1700000000' }, 'status and asset for subscription filters');
  t.equal(snsSubject({ ...notice, asset: `é${'x'.repeat(200)}` }).length, 100, 'Subject: ASCII, at most 100 characters');
});

t.test('SNS: an error answer is SC_ERR_NOTIFY naming the topic and the AWS error', async (t) => {
  const sns = await startRecorder(t, () => ({
    status: 403,
    type: 'text/xml',
    body: '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>User is not authorized to perform: SNS:Publish</Message></Error><RequestId>1</RequestId></ErrorResponse>',
  }));
  const n = new SnsNotifier({ topicArn: 'arn:aws:sns:us-east-1:123456789012:t', endpoint: sns.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, attempts: 1, timeoutMs: 5000 });
  t.teardown(() => n.close());
  const err = await n.send(notice).catch((e) => e);
  t.ok(isScError(err, 'SC_ERR_NOTIFY'));
  t.match(err.message, /arn:aws:sns:us-east-1:123456789012:t failed: AuthorizationError(Exception)? HTTP 403: User is not authorized/);
});
