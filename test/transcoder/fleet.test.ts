// The fleet transcoding one recording together: three `node dist/transcoder.js` worker processes on one
// local store and the durable local queue, one SIGKILLed (with its ffmpeg, as a vanished Spot instance)
// while it encodes a chunk.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { fleetMessageBody } from '../../src/transcoder/fleet-message';
import { assetName } from '../../src/transcoder/source-key';
import { childrenNamed, ffprobe, makeClip, SMALL_LADDER, startRecorder, startWorkerProcess, tempDir, until, type WorkerProcess } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });

/** Presentation times of the video packets, sorted, relative to the first. */
async function videoTimes(file: string): Promise<number[]> {
  const probed = await ffprobe(file, ['-select_streams', 'v', '-show_entries', 'packet=pts_time']);
  const pts = probed.packets.map((p: any) => Number(p.pts_time)).sort((a: number, b: number) => a - b);
  return pts.map((p: number) => Math.round((p - pts[0]) * 1000) / 1000);
}

t.test('a long recording: chunks on the queue taken by 3 worker processes, one SIGKILLed mid-chunk; every frame once, the master published once', async (t) => {
  const media = tempDir(t, 'fleet');
  const fps = 24;
  const seconds = 16;
  const clip = await makeClip(join(media, 'clip.mp4'), { width: 640, height: 320, seconds, fps });
  const ingress = new LocalObjectStore({ root: join(media, 'ingress'), log });
  const queueDir = join(media, 'queue');
  const queue = new LocalJobQueue({ root: queueDir, log, maxReceiveCount: 5 });
  t.teardown(() => queue.close());
  const notices = await startRecorder(t);
  const env = {
    MEDIA_DIR: media,
    LADDER: SMALL_LADDER,
    LADDER_360: SMALL_LADDER,
    SEGMENT_SECONDS: '2',
    // 16 s in 4 s chunks: four chunk jobs, the audio job and the stitch.
    CHUNK_SECONDS: '4',
    // A slower preset, so a chunk's ffmpeg runs long enough to be killed in the middle.
    PRESET: 'medium',
    RECEIVE_WAIT: '1',
    // A dead worker's chunk comes back after this.
    VISIBILITY_TIMEOUT: '3',
    MAX_RECEIVE_COUNT: '5',
    NOTIFY_WEBHOOK_URL: `${notices.url}/notice`,
  };
  const workers: WorkerProcess[] = [0, 1, 2].map(() => startWorkerProcess(t, env));
  for (const w of workers) await w.waitFor((l) => l.msg === 'waiting for jobs', 'worker ready');
  const info = await ingress.putFile('recordings/long-1.mp4', clip);
  await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key: 'recordings/long-1.mp4', size: info.size, etag: info.etag }));

  // The first worker to start a chunk is killed while its ffmpeg encodes it.
  const started = await Promise.any(workers.map((w) => w.waitFor((l) => l.msg === 'chunk started', 'a chunk started').then((l) => ({ w, l }))));
  const victim = started.w;
  const pid = victim.child.pid!;
  await until(() => childrenNamed(pid, 'ffmpeg').length > 0, 'the chunk encoder running');
  const encoders = childrenNamed(pid, 'ffmpeg');
  victim.child.kill('SIGKILL');
  for (const p of encoders) process.kill(p, 'SIGKILL');
  t.equal(await victim.exited, null, 'the worker died of SIGKILL');
  const killedChunk = started.l.chunk as number;
  t.notOk(victim.lines.some((l) => l.msg === 'chunk done' && l.chunk === killedChunk), `chunk ${killedChunk} was killed before it was done`);

  const alive = workers.filter((w) => w !== victim);
  await Promise.any(alive.map((w) => w.waitFor((l) => l.msg === 'master published', 'master published', 120_000)));
  await until(() => notices.requests.length >= 1, 'the completion notice');
  const redone = alive.flatMap((w) => w.lines).find((l) => l.msg === 'chunk started' && l.chunk === killedChunk);
  t.ok(redone, `chunk ${killedChunk} was taken again by another worker`);
  t.ok((redone?.receiveCount as number) >= 2, 'after its visibility timeout (a second receive)');
  const planned = alive.concat(victim).flatMap((w) => w.lines).find((l) => l.msg === 'job planned for the fleet');
  t.equal(planned?.chunks, 4, 'four chunks planned');
  const worked = new Set(alive.filter((w) => w.lines.some((l) => l.msg === 'chunk done')));
  t.equal(worked.size, 2, 'both surviving workers encoded chunks');

  const assetDir = join(media, 'egress', assetName('recordings/long-1.mp4'));
  const master = parse(readFileSync(join(assetDir, 'MANIFEST.M3U8'), 'utf8')) as any;
  const video = master.variants.filter((v: any) => v.resolution);
  t.same(video.map((v: any) => v.resolution), [{ width: 320, height: 160 }, { width: 640, height: 320 }], 'two video renditions (no upscale)');
  const source = await videoTimes(clip);
  t.equal(source.length, seconds * fps);
  for (const v of video) {
    const playlist = parse(readFileSync(join(assetDir, v.uri), 'utf8')) as any;
    t.same(playlist.segments.map((s: any) => s.duration), Array(8).fill(2), `${v.uri}: eight 2 s segments from four chunks`);
    t.equal(new Set(playlist.segments.map((s: any) => s.map?.uri)).size, 1, `${v.uri}: the chunks' identical init segments are one object`);
    const times = await videoTimes(join(assetDir, v.uri));
    t.equal(times.length, source.length, `${v.uri}: as many frames as the source`);
    t.same(times, source, `${v.uri}: every frame once, at the source's timestamps`);
  }
  const audio = await ffprobe(join(assetDir, 'audio', 'index.m3u8'));
  t.ok(Math.abs(Number(audio.format.duration) - seconds) < 0.2, `audio lasts ${audio.format.duration} s`);

  const all = workers.flatMap((w) => w.lines);
  t.equal(all.filter((l) => l.msg === 'master published').length, 1, 'the master was published once');
  t.equal(notices.requests.length, 1, 'one completion notice');
  const notice = JSON.parse(notices.requests[0].body);
  t.equal(notice.status, 'succeeded');
  t.equal(notice.master.key, `${assetName('recordings/long-1.mp4')}/MANIFEST.M3U8`);
  t.ok(existsSync(join(assetDir, 'asset.json')), 'the card');
  t.ok(existsSync(join(assetDir, 'MANIFEST.jpg')), 'the poster (made by the audio task)');

  // A stitch delivered again (two chunks finishing at once each send one) changes nothing.
  await queue.send(fleetMessageBody({ task: 'stitch', job: planned!.job as string, source: { bucket: ingress.bucket, key: 'recordings/long-1.mp4', size: info.size, etag: info.etag } }));
  await Promise.any(alive.map((w) => w.waitFor((l) => l.msg === 'stitch: published by another delivery; nothing to do', 'the duplicate stitch acknowledged')));
  await until(() => ['ready', 'inflight'].every((d) => readdirSync(join(queueDir, d)).length === 0), 'the queue empty');
  t.same(readdirSync(join(queueDir, 'dead')), [], 'nothing dead-lettered');
  t.equal(workers.flatMap((w) => w.lines).filter((l) => l.msg === 'master published').length, 1, 'still published once');
  t.equal(notices.requests.length, 1, 'still one notice');

  // Each worker downloaded the recording once, however many of its tasks (the plan, chunks, the audio) used it.
  for (const w of workers) t.ok(w.lines.filter((l) => l.msg === 'source downloaded').length <= 1, 'at most one download per worker');
  const uses = all.filter((l) => l.msg === 'source downloaded' || /^source reused/.test(String(l.msg))).length;
  t.ok(uses >= 7, `the source was used by ${uses} tasks (plan, four chunks, the killed one again, audio)`);
  const sourcesDir = join(media, 'transcoder-scratch', 'sources');
  for (const w of alive) t.equal(await w.stop(), 0);
  t.same(readdirSync(sourcesDir).filter((d) => !d.startsWith(`${victim.child.pid}-`)), [], 'each stopped worker deleted its copies');
});
