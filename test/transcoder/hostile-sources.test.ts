// Hostile and hopeless sources through the real worker process (local store and queue): files
// that make ffmpeg read other files, a live playlist, huge frames, a job over its time limit, and
// sources that can never work. Each is refused or stopped, dead-lettered at once with its reason,
// announced to a webhook, and nothing of it is published.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { buildS3PutEvent, parseS3Event } from '../../src/shared/s3-event';
import { assetName } from '../../src/transcoder/source-key';
import { makeClip, pgrep, SMALL_LADDER, startRecorder, startWorkerProcess, tempDir, until, type WorkerProcess } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((res, rej) => execFile('ffmpeg', ['-v', 'error', '-y', ...args], (err, _o, stderr) => (err ? rej(new Error(stderr)) : res())));
}

async function rig(t: Test, name: string, env: Record<string, string> = {}) {
  const media = tempDir(t, name);
  const ingress = new LocalObjectStore({ root: join(media, 'ingress'), log });
  const queueDir = join(media, 'queue');
  const queue = new LocalJobQueue({ root: queueDir, log });
  t.teardown(() => queue.close());
  const hook = await startRecorder(t);
  const w = startWorkerProcess(t, {
    MEDIA_DIR: media,
    LADDER: SMALL_LADDER,
    LADDER_360: SMALL_LADDER,
    SEGMENT_SECONDS: '2',
    RECEIVE_WAIT: '1',
    VISIBILITY_TIMEOUT: '3',
    MAX_RECEIVE_COUNT: '5',
    NOTIFY_WEBHOOK_URL: `${hook.url}/done`,
    ...env,
  });
  await w.waitFor((l) => l.msg === 'waiting for jobs', 'worker ready');
  return {
    media,
    queue,
    queueDir,
    egressDir: join(media, 'egress'),
    hook,
    w,
    async submit(key: string, file: string) {
      const info = await ingress.putFile(key, file);
      await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key, size: info.size, etag: info.etag }));
    },
    notices: () => hook.requests.map((r) => JSON.parse(r.body)),
    published: () => (existsSync(join(media, 'egress')) ? readdirSync(join(media, 'egress')).filter((n) => !n.startsWith('.')) : []),
  };
}

const failedFor = (w: WorkerProcess, key: string) => w.waitFor((l) => /^job failed for good/.test(l.msg) && l.key === key, `${key} failed for good`);

t.test('files that make ffmpeg read other files, huge frames and hopeless sources: refused, dead-lettered at once, announced; good ones published under distinct names', async (t) => {
  const r = await rig(t, 'hostile');
  // Someone else's private recording on the same machine, outside the ingress store.
  const secretDir = tempDir(t, 'secret');
  const secret = await makeClip(join(secretDir, 'private.mp4'), { width: 320, height: 160, seconds: 2 });
  const longAgo = new Date('2020-01-01T00:00:00Z');
  utimesSync(secret, longAgo, statSync(secret).mtime);
  const src = (name: string) => join(r.media, name);
  // 1. An HLS playlist saved as .mp4, naming the secret file (a 100-odd-byte upload).
  writeFileSync(src('upload-a.mp4'), `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${secret}\n#EXT-X-ENDLIST\n`);
  // 2. A .ts that is a playlist of file:// URLs.
  writeFileSync(src('evil.ts'), `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile://${secret}\n#EXT-X-ENDLIST\n`);
  // 3. A concat list as .mkv.
  writeFileSync(src('list.mkv'), `ffconcat version 1.0\nfile '${secret}'\n`);
  // 4. 16000x16000 frames in a few KB: a 16x16 MJPEG movie with its sizes rewritten (stsd, tkhd, every SOF0).
  await ffmpeg(['-f', 'lavfi', '-i', 'color=red:s=16x16:r=1', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '1', '-c:v', 'mjpeg', '-c:a', 'pcm_s16le', '-f', 'mov', src('small.mov')]);
  writeFileSync(src('huge.mov'), patchMjpegMovSize(readFileSync(src('small.mov')), 16000, 16000));
  // 5. Just over MAX_SOURCE_WIDTH (8192): a real H.264 file, cheap because it is only 64 lines tall.
  await ffmpeg(['-f', 'lavfi', '-i', 'color=blue:s=8200x64:r=1', '-f', 'lavfi', '-i', 'sine', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', src('wide.mp4')]);
  // 6-8. Zero bytes, text, audio only.
  writeFileSync(src('empty.mp4'), '');
  writeFileSync(src('notes.mp4'), 'meeting notes, not a video\n'.repeat(20));
  await ffmpeg(['-f', 'lavfi', '-i', 'sine', '-t', '1', '-c:a', 'aac', '-f', 'mp4', src('tone.mp4')]);
  const bad: Array<[string, string, RegExp]> = [
    ['upload-a.mp4', 'upload-a.mp4', /SC_ERR_MEDIA_REFUSED: source upload-a\.mp4 refused: its content is an HLS playlist/],
    ['evil.ts', 'evil.ts', /SC_ERR_MEDIA_REFUSED: .*HLS playlist/],
    ['list.mkv', 'list.mkv', /SC_ERR_MEDIA_REFUSED: .*concat list/],
    ['huge.mov', 'huge.mov', /SC_ERR_MEDIA_REFUSED: .*frame size 16000x16000 is over/],
    ['wide.mp4', 'wide.mp4', /SC_ERR_MEDIA_REFUSED: .*width 8200 is over MAX_SOURCE_WIDTH 8192/],
    ['empty.mp4', 'empty.mp4', /SC_ERR_MEDIA: .*zero-byte/],
    ['notes.mp4', 'notes.mp4', /SC_ERR_MEDIA_REFUSED: .*a text file/],
    ['tone.mp4', 'tone.mp4', /SC_ERR_MEDIA: .*audio-only source/],
  ];
  for (const [key, file] of bad) await r.submit(key, src(file));
  for (const [key] of bad) await failedFor(r.w, key);
  await until(async () => (await r.queue.deadLetters()).length === bad.length, 'all dead-lettered');
  const dead = await r.queue.deadLetters();
  for (const [key, , why] of bad) {
    const d = dead.find((x) => (parseS3Event(x.body) as { objects: Array<{ key: string }> }).objects[0].key === key);
    t.ok(d, `${key} is in the dead-letter queue`);
    t.equal(d?.receiveCount, 1, `${key} dead-lettered on its first receive`);
    t.match(d?.reason, why, `${key}: the reason is kept with it`);
    t.equal(r.w.lines.filter((l) => l.msg === 'job started' && l.key === key).length, 1, `${key} downloaded once`);
  }
  t.notOk(r.w.lines.some((l) => l.msg === 'transcode planned'), 'no hostile source reached ffmpeg');
  t.equal(statSync(secret).atime.getTime(), longAgo.getTime(), 'the secret file was never read');
  t.same(r.published(), [], 'nothing published');
  await until(() => r.hook.requests.length === bad.length, 'a notice for each');
  for (const [key, , why] of bad) {
    const n = r.notices().find((x) => x.source.key === key);
    t.equal(n?.status, 'failed', `${key}: failure announced`);
    t.equal(n?.asset, assetName(key));
    t.match(`${n?.code}: ${n?.reason}`, why);
  }

  // Two keys with the same file name: two assets.
  const good = await makeClip(src('good-src.mp4'), { width: 320, height: 160, seconds: 2 });
  await r.submit('good.mp4', good);
  await r.submit('sub/good.mp4', good);
  for (const key of ['good.mp4', 'sub/good.mp4']) await r.w.waitFor((l) => l.msg === 'job done' && l.key === key, `${key} done`);
  const names = r.published().sort();
  t.equal(names.length, 2, `two egress folders: ${names.join(', ')}`);
  t.ok(names.includes('good'), 'the simple key keeps its plain name');
  t.ok(names.some((n) => /^sub_good\.mp4~[0-9a-f]{16}$/.test(n)), 'the key with a folder gets slug~hash');
  for (const n of names) t.ok(statSync(join(r.egressDir, n, 'MANIFEST.M3U8')).isFile(), `${n}/MANIFEST.M3U8`);
  await until(() => r.hook.requests.length === bad.length + 2, 'success notices');
  const ok = r.notices().filter((n) => n.status === 'succeeded');
  t.same(ok.map((n) => n.source.key).sort(), ['good.mp4', 'sub/good.mp4']);
  for (const n of ok) {
    t.equal(n.master.key, `${n.asset}/MANIFEST.M3U8`);
    t.equal(n.master.url, `file://${r.egressDir}/${encodeURIComponent(n.asset)}/MANIFEST.M3U8`);
    const master = parse(readFileSync(join(r.egressDir, n.master.key), 'utf8')) as any;
    t.equal(n.renditions.length, master.variants.length, 'every rendition listed');
    t.ok(Math.abs(n.duration - 2) < 0.2, `duration ${n.duration}`);
  }
  t.equal(await r.w.stop(), 0);
});

t.test('a live playlist as live.mp4 no longer holds the worker: the job behind it runs; SIGTERM mid-job leaves no ffprobe or ffmpeg', async (t) => {
  const r = await rig(t, 'live', { PRESET: 'veryslow', VISIBILITY_TIMEOUT: '600' });
  const seg = join(r.media, 'seg.ts');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', seg]);
  // No #EXT-X-ENDLIST: ffmpeg keeps reloading it, waiting for the next segment.
  writeFileSync(join(r.media, 'live.mp4'), `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\n${seg}\n`);
  const long = await makeClip(join(r.media, 'long.mp4'), { width: 640, height: 320, seconds: 12 });
  await r.submit('live.mp4', join(r.media, 'live.mp4'));
  await r.submit('long.mp4', long);
  await failedFor(r.w, 'live.mp4');
  await r.w.waitFor((l) => l.msg === 'transcode planned' && l.key === 'long.mp4', 'the job behind it started');
  await until(async () => (await pgrep(`${r.media}/transcoder-scratch`)).length > 0, 'ffmpeg running on the scratch copy');
  t.equal(await r.w.stop('SIGTERM'), 0, 'clean exit');
  await until(async () => (await pgrep(r.media)).length === 0, 'no process left working on this test\'s files', 10_000).catch(() => undefined);
  t.same(await pgrep(r.media), [], 'no ffprobe or ffmpeg left (pgrep -f MEDIA_DIR)');
  t.equal(readdirSync(join(r.queueDir, 'ready')).length, 1, 'the stopped job went back to the queue');
  t.equal((await r.queue.deadLetters()).length, 1, 'the live playlist is dead-lettered');
  t.equal(r.notices()[0]?.status, 'failed', 'and announced');
});

t.test('a job over its time limit (max(JOB_TIMEOUT_MIN, JOB_TIMEOUT_FACTOR x duration)) is killed, dead-lettered at once and announced', async (t) => {
  const r = await rig(t, 'timelimit', { PRESET: 'veryslow', JOB_TIMEOUT_MIN: '1s', JOB_TIMEOUT_FACTOR: '0.05', VISIBILITY_TIMEOUT: '600' });
  const long = await makeClip(join(r.media, 'long.mp4'), { width: 640, height: 320, seconds: 12 });
  await r.submit('long.mp4', long);
  const planned = await r.w.waitFor((l) => l.msg === 'transcode planned', 'planned');
  t.equal(planned.timeLimitSeconds, 1, 'the floor applies: 0.05 x 12 s is under 1 s');
  const failed = await failedFor(r.w, 'long.mp4');
  t.equal(failed.code, 'SC_ERR_TIME_LIMIT');
  t.match(failed.msg, /transcode of long\.mp4 exceeded its time limit of 1 s/);
  await until(async () => (await r.queue.deadLetters()).length === 1, 'dead-lettered');
  const dead = await r.queue.deadLetters();
  t.equal(dead[0].receiveCount, 1);
  t.match(dead[0].reason, /^SC_ERR_TIME_LIMIT: /);
  await until(async () => (await pgrep(`${r.media}/transcoder-scratch`)).length === 0, 'ffmpeg gone');
  t.same(r.published(), [], 'nothing published');
  await until(() => r.hook.requests.length === 1, 'notice');
  t.match(r.notices()[0], { status: 'failed', code: 'SC_ERR_TIME_LIMIT', asset: 'long' });
  t.equal(await r.w.stop(), 0);
});

/**
 * Rewrites the frame size of an MJPEG QuickTime file: the visual sample entry (`jpeg` in stsd:
 * width and height 24 bytes after its fourcc), the track header (16.16 fixed point at its end)
 * and every JPEG SOF0 segment (height, width after length and precision).
 */
function patchMjpegMovSize(file: Buffer, width: number, height: number): Buffer {
  const d = Buffer.from(file);
  const entry = d.indexOf('jpeg');
  if (entry < 0) throw new Error('no jpeg sample entry');
  d.writeUInt16BE(width, entry + 28);
  d.writeUInt16BE(height, entry + 30);
  const tkhd = d.indexOf('tkhd');
  const end = tkhd - 4 + d.readUInt32BE(tkhd - 4);
  d.writeUInt32BE(width * 65536, end - 8);
  d.writeUInt32BE(height * 65536, end - 4);
  for (let i = d.indexOf(Buffer.from([0xff, 0xc0])); i >= 0; i = d.indexOf(Buffer.from([0xff, 0xc0]), i + 2)) {
    d.writeUInt16BE(height, i + 5);
    d.writeUInt16BE(width, i + 7);
  }
  return d;
}
