import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { openJobQueue } from '../../src/shared/job-queue-open';
import { parseS3Event } from '../../src/shared/s3-event';
import { S3ObjectStore } from '../../src/shared/object-store-s3';
import { startS3rver } from '../fixtures/s3rver-process';
import { ffprobeJson, freePort, publish, startOrigin, waitFor } from './origin-harness';

const mp4s = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort() : []);

function firstVideoFrameIsKey(file: string): boolean {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.trim().split('\n')[0].startsWith('1');
}

t.test('a 20 s publish rolls over into playable parts that reach the ingress store and the queue', async (t) => {
  const hookLog = join(mkdtempSync(join(tmpdir(), 'sc-rec-hook-')), 'done.txt');
  t.teardown(() => rmSync(join(hookLog, '..'), { recursive: true, force: true }));
  const origin = await startOrigin(t, { RECORD: 'all', RECORD_MAX_SIZE: '1000K', RECORD_DONE_EXEC: `echo "$1 $2" >> ${hookLog}` });
  const pub = publish(t, origin.rtmp('rec'), { seconds: 20 });
  await waitFor('publisher done', () => (pub.proc.exitCode !== null ? true : undefined), 60_000);
  const ingress = join(origin.mediaDir, 'ingress');
  const rec = join(origin.mediaDir, 'rec');
  await waitFor('every part uploaded and the local copies gone', () =>
    mp4s(ingress).length >= 2 && readdirSync(rec).filter((f) => /\.(flv|mp4)$/.test(f)).length === 0 ? true : undefined, 60_000);
  const parts = mp4s(ingress);
  t.ok(parts.length >= 2, `${parts.length} parts`);
  let total = 0;
  for (const p of parts) {
    t.match(p, /^rec-\d{10}\.mp4$/);
    const probe = ffprobeJson(join(ingress, p));
    t.ok(probe.streams.some((s: any) => s.codec_name === 'h264') && probe.streams.some((s: any) => s.codec_name === 'aac'), `${p} has H.264 and AAC`);
    t.ok(firstVideoFrameIsKey(join(ingress, p)), `${p} starts on a keyframe`);
    total += Number(probe.format.duration);
  }
  t.ok(Math.abs(total - 20) <= 1, `parts add up to ${total.toFixed(2)} s`);

  const queue = openJobQueue(join(origin.mediaDir, 'queue'), { log: pino({ level: 'silent' }) });
  t.teardown(() => queue.close());
  const messages = await queue.receive({ maxMessages: 10, waitSeconds: 0 });
  const keys = messages.flatMap((m) => {
    const ev = parseS3Event(m.body);
    return ev.kind === 'objects' ? ev.objects.map((o) => o.key) : [];
  });
  t.same(keys.sort(), parts, 'one S3 event per part');
  const hookLines = readFileSync(hookLog, 'utf8').trim().split('\n').sort();
  t.same(hookLines.map((l) => l.split(' ')[1]), parts, 'RECORD_DONE_EXEC ran once per part with path and basename');
  t.ok(hookLines.every((l) => l.split(' ')[0].endsWith(l.split(' ')[1])));
});

t.test('after SIGKILL mid-recording, the next start uploads the interrupted part, playable', async (t) => {
  const mediaDir = mkdtempSync(join(tmpdir(), 'sc-rec-crash-'));
  t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
  const first = await startOrigin(t, { RECORD: 'all', MEDIA_DIR: mediaDir });
  publish(t, first.rtmp('crash'), { size: '640x360' });
  const rec = join(mediaDir, 'rec');
  await waitFor('a part with a few seconds in it', () => {
    const flv = readdirSync(rec).find((f) => f.endsWith('.flv'));
    return flv && statSync(join(rec, flv)).size > 200_000 ? flv : undefined;
  }, 30_000);
  first.proc.kill('SIGKILL');
  await first.stop();
  t.same(mp4s(join(mediaDir, 'ingress')), [], 'nothing uploaded before the crash');

  await startOrigin(t, { RECORD: 'all', MEDIA_DIR: mediaDir });
  const ingress = join(mediaDir, 'ingress');
  const parts = await waitFor('the interrupted part in the store', () => (mp4s(ingress).length ? mp4s(ingress) : undefined), 30_000);
  const probe = ffprobeJson(join(ingress, parts[0]));
  t.ok(Number(probe.format.duration) > 1, `playable, ${probe.format.duration} s`);
  t.ok(firstVideoFrameIsKey(join(ingress, parts[0])));
});

t.test('with the S3 ingress down, parts wait on disk and upload once it is back, with no new publish', async (t) => {
  const port = await freePort();
  const s3dir = mkdtempSync(join(tmpdir(), 'sc-rec-s3-'));
  t.teardown(() => rmSync(s3dir, { recursive: true, force: true }));
  const origin = await startOrigin(t, {
    RECORD: 'all', INGRESS: 's3://ingress/recordings', S3_ENDPOINT: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
  const pub = publish(t, origin.rtmp('down'), { seconds: 4, size: '320x180' });
  await waitFor('publisher done', () => (pub.proc.exitCode !== null ? true : undefined), 30_000);
  await waitFor('an upload failure logged', () => (/recording upload failed/.test(origin.log()) ? true : undefined), 30_000);
  const rec = join(origin.mediaDir, 'rec');
  t.ok(readdirSync(rec).some((f) => /\.(flv|mp4)$/.test(f)), 'the part is kept on disk while the store is down');

  const s3 = await startS3rver({ directory: s3dir, port, buckets: ['ingress'] });
  t.teardown(() => s3.stop());
  const store = new S3ObjectStore({ bucket: 'ingress', prefix: 'recordings', endpoint: s3.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, log: pino({ level: 'silent' }) });
  t.teardown(() => store.close());
  const uploaded = await waitFor('the part in the store', async () => {
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    return keys.length ? keys : undefined;
  }, 90_000, 1000);
  t.match(uploaded[0], /^down-\d+\.mp4$/);
  await waitFor('local copy removed after the verified upload', () => (readdirSync(rec).some((f) => /\.(flv|mp4)$/.test(f)) ? undefined : true), 20_000);
});

t.test('a Spot interruption notice closes the open part, uploads it and exits 0', async (t) => {
  let notice = false;
  const imds = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token');
    if (req.url === '/latest/meta-data/spot/instance-action' && req.headers['x-aws-ec2-metadata-token'] === 'token') {
      if (!notice) return res.writeHead(404).end();
      return res.end(JSON.stringify({ action: 'terminate', time: new Date(Date.now() + 120_000).toISOString() }));
    }
    res.writeHead(400).end();
  });
  await new Promise<void>((r) => imds.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => imds.close(() => r())));
  const origin = await startOrigin(t, { RECORD: 'all', SPOT_MONITOR: 'on', IMDS_URL: `http://127.0.0.1:${(imds.address() as AddressInfo).port}`, SPOT_POLL_INTERVAL: '200ms' });
  publish(t, origin.rtmp('spot'), { size: '320x180' });
  const rec = join(origin.mediaDir, 'rec');
  await waitFor('recording under way', () => (readdirSync(rec).some((f) => f.endsWith('.flv') && statSync(join(rec, f)).size > 50_000) ? true : undefined), 30_000);
  notice = true;
  const code = await waitFor('origin exits', () => (origin.proc.exitCode !== null ? origin.proc.exitCode : undefined), 60_000);
  t.equal(code, 0);
  t.equal(mp4s(join(origin.mediaDir, 'ingress')).length, 1, 'the open part was uploaded before exiting');
  t.match(origin.log(), /Spot interruption notice/);
});
