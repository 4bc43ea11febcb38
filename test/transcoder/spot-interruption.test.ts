// A Spot interruption notice from a fake IMDSv2 endpoint stops the worker cleanly mid-job.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { SpotInterruptionMonitor } from '../../src/shared/spot-interruption';
import { alive, childrenNamed, makeClip, SMALL_LADDER, startWorkerProcess, tempDir, until } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });

/** IMDSv2 as EC2 serves it: a token by PUT, then instance-action with the token, 404 until set. */
async function fakeImds(t: any) {
  const state = { notice: false, tokenRequests: 0, unauthorized: 0 };
  const server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      state.tokenRequests++;
      return res.writeHead(200).end('token-123');
    }
    if (req.url === '/latest/meta-data/spot/instance-action') {
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-123') {
        state.unauthorized++;
        return res.writeHead(401).end();
      }
      if (!state.notice) return res.writeHead(404).end();
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ action: 'terminate', time: '2030-01-01T00:02:00Z' }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

/** A media folder with a local ingress store and job queue, as the worker process opens them. */
function localWorkplace(t: any, name: string) {
  const media = tempDir(t, name);
  const queueDir = join(media, 'queue');
  const queue = new LocalJobQueue({ root: queueDir, log });
  t.teardown(() => queue.close());
  return { media, ingress: new LocalObjectStore({ root: join(media, 'ingress'), log }), queueDir, queue };
}

t.test('the monitor reports nothing while instance-action is 404, then the notice once', async (t) => {
  const imds = await fakeImds(t);
  const notices: unknown[] = [];
  const m = new SpotInterruptionMonitor({ baseUrl: imds.url, intervalMs: 20, log, onNotice: (n) => notices.push(n) });
  t.equal(await m.pollOnce(), undefined);
  t.equal(imds.state.tokenRequests, 1);
  m.start();
  t.teardown(() => m.stop());
  imds.state.notice = true;
  await until(() => notices.length === 1, 'notice');
  t.same(notices, [{ action: 'terminate', time: '2030-01-01T00:02:00Z' }]);
  t.equal(imds.state.unauthorized, 0, 'every metadata read carried the session token');
});

t.test('on a notice the worker stops taking jobs, kills ffmpeg, releases the message and exits 0', async (t) => {
  const imds = await fakeImds(t);
  const { media, ingress, queueDir, queue } = localWorkplace(t, 'spot');
  const clip = await makeClip(join(media, 'long.mp4'), { width: 640, height: 320, seconds: 12 });
  const w = startWorkerProcess(t, {
    MEDIA_DIR: media,
    LADDER: SMALL_LADDER,
    LADDER_360: SMALL_LADDER,
    SEGMENT_SECONDS: '2',
    PRESET: 'veryslow',
    VISIBILITY_TIMEOUT: '600',
    SPOT_MONITOR: 'on',
    IMDS_URL: imds.url,
    SPOT_POLL_INTERVAL: '100ms',
  });
  const info = await ingress.putFile('long.mp4', clip);
  await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key: 'long.mp4', size: info.size }));
  let pids: number[] = [];
  await until(() => (pids = childrenNamed(w.child.pid!, 'ffmpeg', '-var_stream_map')).length === 1, 'ffmpeg running');
  imds.state.notice = true;
  t.equal(await w.exited, 0, 'clean exit');
  await until(() => !alive(pids[0]), 'ffmpeg gone');
  t.same(readdirSync(join(queueDir, 'inflight')), []);
  t.equal(readdirSync(join(queueDir, 'ready')).length, 1, 'the message is visible again at once');
  t.ok(w.lines.some((l) => /Spot interruption notice/.test(l.msg)));
});

t.test('started while a Spot interruption is already scheduled, the worker takes no job and exits 0', async (t) => {
  // systemd restarted it inside the two-minute notice, or it started on an instance already told to go.
  const imds = await fakeImds(t);
  imds.state.notice = true;
  const { media, ingress, queueDir, queue } = localWorkplace(t, 'spot-pending');
  const clip = await makeClip(join(media, 'short.mp4'), { width: 320, height: 160, seconds: 2 });
  const info = await ingress.putFile('short.mp4', clip);
  await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key: 'short.mp4', size: info.size }));
  const w = startWorkerProcess(t, { MEDIA_DIR: media, LADDER: SMALL_LADDER, RECEIVE_WAIT: '0', SPOT_MONITOR: 'on', IMDS_URL: imds.url, SPOT_POLL_INTERVAL: '100ms' });
  t.equal(await w.exited, 0, 'a clean exit, which Restart=on-failure leaves stopped');
  t.ok(w.lines.some((l) => /Spot interruption is already scheduled: taking no jobs/.test(l.msg)));
  t.notOk(w.lines.some((l) => l.msg === 'job started'), 'no job was started');
  const ready = readdirSync(join(queueDir, 'ready'));
  t.equal(ready.length, 1, 'the message is still waiting');
  t.match(ready[0], /\.0$/, 'and was never received: its receive count did not move toward the dead-letter queue');
});
