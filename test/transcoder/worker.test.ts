// The worker as a real process (`node dist/transcoder.js`) on the local store and local queue.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { assetName } from '../../src/transcoder/source-key';
import { alive, childrenNamed, makeClip, SMALL_LADDER, startWorkerProcess, tempDir, until } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });

interface Rig {
  media: string;
  ingress: LocalObjectStore;
  queue: LocalJobQueue;
  egressDir: string;
  queueDir: string;
  env: Record<string, string>;
  /** Uploads a file to ingress and queues the S3 event for it, as the origin does. */
  submit(key: string, file: string): Promise<void>;
}

function rig(t: Test, name: string): Rig {
  const media = tempDir(t, name);
  const ingress = new LocalObjectStore({ root: join(media, 'ingress'), log });
  const queueDir = join(media, 'queue');
  const queue = new LocalJobQueue({ root: queueDir, log, maxReceiveCount: 2 });
  t.teardown(() => queue.close());
  return {
    media,
    ingress,
    queue,
    queueDir,
    egressDir: join(media, 'egress'),
    env: { MEDIA_DIR: media, LADDER: SMALL_LADDER, LADDER_360: SMALL_LADDER, SEGMENT_SECONDS: '2', RECEIVE_WAIT: '1', VISIBILITY_TIMEOUT: '3', MAX_RECEIVE_COUNT: '2' },
    async submit(key, file) {
      const info = await ingress.putFile(key, file);
      await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key, size: info.size, etag: info.etag }));
    },
  };
}

const queueFiles = (r: Rig, state: 'ready' | 'inflight' | 'dead') => readdirSync(join(r.queueDir, state));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

t.test('a recording on the queue becomes <asset name>/MANIFEST.M3U8 in egress, master last, message deleted', async (t) => {
  const r = rig(t, 'good');
  const clip = await makeClip(join(r.media, 'clip.mp4'), { width: 640, height: 320, seconds: 6 });
  const w = startWorkerProcess(t, r.env);
  await w.waitFor((l) => l.msg === 'waiting for jobs', 'worker ready');
  await r.submit('recordings/talk 1.mp4', clip);
  await w.waitFor((l) => l.msg === 'job done', 'job done');
  const assetDir = join(r.egressDir, assetName('recordings/talk 1.mp4'));
  const master = parse(readFileSync(join(assetDir, 'MANIFEST.M3U8'), 'utf8')) as any;
  t.equal(master.variants.length, 3, 'two video variants and the audio-only one');
  for (const v of master.variants) t.ok(statSync(join(assetDir, v.uri)).isFile(), `${v.uri} published`);
  const files = filesUnder(assetDir);
  t.ok(files.some((f) => f.endsWith('.m4s')), 'fMP4 segments');
  t.ok(files.some((f) => f.endsWith('MANIFEST.json')), 'the layout JSON beside the master');
  const masterTime = statSync(join(assetDir, 'MANIFEST.M3U8')).mtimeMs;
  // The poster and the card (poster.ts) follow the asset; nothing the master names does.
  t.ok(files.filter((f) => !/(\.jpg|asset\.json)$/.test(f)).every((f) => statSync(f).mtimeMs <= masterTime), 'the master was written last');
  await until(() => queueFiles(r, 'inflight').length === 0, 'message deleted');
  t.same([queueFiles(r, 'ready'), queueFiles(r, 'inflight'), queueFiles(r, 'dead')], [[], [], []], 'the message is gone');
  // A job done in one run keeps no copy of its source (only a fleet job's chunks come back for it).
  await until(() => filesUnder(join(r.media, 'transcoder-scratch')).length === 0, 'scratch cleaned up');
  t.same(filesUnder(join(r.media, 'transcoder-scratch')), [], 'scratch cleaned up');
  t.equal(await w.stop('SIGTERM'), 0);
});

t.test('an s3:TestEvent and a non-video key are acknowledged and skipped', async (t) => {
  const r = rig(t, 'skip');
  const w = startWorkerProcess(t, r.env);
  await r.queue.send(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: 'ingress' }));
  await r.ingress.putBuffer('notes/readme.txt', 'hello');
  await r.queue.send(buildS3PutEvent({ bucket: r.ingress.bucket, key: 'notes/readme.txt', size: 5 }));
  await w.waitFor((l) => l.msg === 's3:TestEvent acknowledged and skipped', 'test event skipped');
  const skipped = await w.waitFor((l) => /acknowledged and skipped: not a video key/.test(l.msg), 'non-video skipped');
  t.equal(skipped.key, 'notes/readme.txt');
  await until(() => queueFiles(r, 'ready').length + queueFiles(r, 'inflight').length === 0, 'both deleted');
  t.same(queueFiles(r, 'dead'), []);
  t.same(readdirSync(r.egressDir).filter((n) => !n.startsWith('.')), [], 'nothing published');
  t.equal(await w.stop(), 0);
});

t.test('a corrupt recording fails for good without killing the worker: dead-lettered at once with the reason; a transient failure is retried; the next job succeeds', async (t) => {
  const r = rig(t, 'corrupt');
  const bad = join(r.media, 'bad.mp4');
  writeFileSync(bad, Buffer.alloc(4096, 7));
  const good = await makeClip(join(r.media, 'good.mp4'), { width: 640, height: 320, seconds: 4 });
  const w = startWorkerProcess(t, { ...r.env, MAX_RECEIVE_COUNT: '5' });
  await r.submit('bad.mp4', bad);
  const first = await w.waitFor((l) => /^job failed/.test(l.msg), 'first failure');
  t.equal(first.code, 'SC_ERR_MEDIA_REFUSED');
  t.match(first.msg, /^job failed for good: source bad\.mp4 refused: its content is unknown bytes \(0707070707070707\)/);
  await until(() => queueFiles(r, 'dead').length >= 1, 'dead-lettered');
  const dead = await r.queue.deadLetters();
  t.equal(dead.length, 1);
  t.equal(dead[0].receiveCount, 1, 'on its first receive, not after MAX_RECEIVE_COUNT');
  t.match(dead[0].body, /bad\.mp4/);
  t.match(dead[0].reason, /^SC_ERR_MEDIA_REFUSED: source bad\.mp4 refused/);
  t.equal(w.child.exitCode, null, 'the worker is still running');
  // An event for an object the store does not have: not the source's fault, so retried.
  await r.queue.send(buildS3PutEvent({ bucket: r.ingress.bucket, key: 'missing.mp4', size: 10 }));
  await w.waitFor((l) => /^job failed: /.test(l.msg) && l.key === 'missing.mp4' && l.receiveCount === 2, 'the transient failure is received again');
  t.equal((await r.queue.deadLetters()).length, 1, 'not dead-lettered at once');
  await r.submit('good.mp4', good);
  await w.waitFor((l) => l.msg === 'job done' && l.key === 'good.mp4', 'the next job');
  t.ok(statSync(join(r.egressDir, 'good', 'MANIFEST.M3U8')).isFile());
  t.equal(await w.stop(), 0);
});

t.test('a malformed message is logged and left for the dead-letter queue', async (t) => {
  const r = rig(t, 'malformed');
  const w = startWorkerProcess(t, r.env);
  await r.queue.send('{"not":"an s3 event"}');
  const line = await w.waitFor((l) => /malformed queue message/.test(l.msg), 'malformed logged');
  t.equal(line.code, 'SC_ERR_BAD_MESSAGE');
  t.match(line.msg, /left on the queue for the dead-letter queue/);
  await until(() => queueFiles(r, 'dead').length === 1, 'dead-lettered', 20_000);
  t.equal(await w.stop(), 0);
});

for (const [chunks, runs] of [['1', 1], ['2', 3]] as const) {
  t.test(`SIGTERM during a job (PARALLEL_CHUNKS=${chunks}): every ffmpeg stopped, no orphan, message released at once, exit 0`, async (t) => {
    const r = rig(t, `sigterm${chunks}`);
    const clip = await makeClip(join(r.media, 'long.mp4'), { width: 640, height: 320, seconds: 12 });
    // A slow preset keeps ffmpeg busy for many seconds; the test stops it long before it ends.
    const w = startWorkerProcess(t, { ...r.env, PRESET: 'veryslow', VISIBILITY_TIMEOUT: '600', PARALLEL_CHUNKS: chunks, MIN_CHUNK_SECONDS: '2' });
    await r.submit('long.mp4', clip);
    await w.waitFor((l) => l.msg === 'transcode planned', 'job running');
    let ffmpegPids: number[] = [];
    // Chunked: one run per chunk and one for the audio.
    await until(() => (ffmpegPids = childrenNamed(w.child.pid!, 'ffmpeg', '-var_stream_map')).length === runs, `${runs} HLS ffmpeg run(s) started`);
    t.same(queueFiles(r, 'inflight').length, 1, 'the message is in flight');
    const code = await w.stop('SIGTERM');
    t.equal(code, 0, 'clean exit');
    await until(() => ffmpegPids.every((pid) => !alive(pid)), 'ffmpeg gone');
    t.notOk(ffmpegPids.some(alive), 'no ffmpeg orphan');
    t.same(queueFiles(r, 'inflight'), [], 'nothing in flight');
    t.equal(queueFiles(r, 'ready').length, 1, 'the message is visible again at once (not after the 600 s visibility timeout)');
    t.ok(w.lines.some((l) => l.msg === 'job stopped: message released to the queue'), 'the release is logged');
    t.same(readdirSync(r.egressDir).filter((n) => !n.startsWith('.')), [], 'nothing published');
  });
}
