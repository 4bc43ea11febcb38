import t from 'tap';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import pino from 'pino';
import { openJobQueue } from '../../src/shared/job-queue-open';
import { parseS3Event } from '../../src/shared/s3-event';
import { S3ObjectStore } from '../../src/shared/object-store-s3';
import { startS3rver } from '../fixtures/s3rver-process';
import { encodeHevcClip, enhancedFlvTags } from '../fixtures/hevc-clip';
import { RtmpTestClient } from '../fixtures/rtmp-client';
import { ffprobeJson, freePort, publish, startOrigin, waitFor } from './origin-harness';

/** A part's files on disk: its source (FLV or fragmented MP4) and its remux. */
const RECORDING_FILE = /\.(flv|fmp4|mp4)$/;
const mp4s = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort() : []);

function decodedVideoFrames(file: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

/**
 * The complete moof+mdat pairs of a fragmented MP4 and the video samples they hold (track 1, as
 * the packager numbers it). Test-side and naive: it trusts the boxes it finds.
 */
function fragmentsOf(file: Buffer): { fragments: Array<{ start: number; end: number }>; videoSamples: number } {
  const fragments: Array<{ start: number; end: number }> = [];
  let videoSamples = 0;
  let moof: { start: number; samples: number } | undefined;
  for (let p = 0; p + 8 <= file.length; ) {
    const size = file.readUInt32BE(p);
    const type = file.toString('latin1', p + 4, p + 8);
    if (size < 8 || p + size > file.length) break;
    if (type === 'moof') {
      let samples = 0;
      for (let q = p + 8; q < p + size; q += file.readUInt32BE(q)) {
        if (file.toString('latin1', q + 4, q + 8) !== 'traf') continue;
        let track = 0;
        for (let r = q + 8; r < q + file.readUInt32BE(q); r += file.readUInt32BE(r)) {
          const box = file.toString('latin1', r + 4, r + 8);
          if (box === 'tfhd') track = file.readUInt32BE(r + 12);
          if (box === 'trun' && track === 1) samples += file.readUInt32BE(r + 12);
        }
      }
      moof = { start: p, samples };
    } else if (type === 'mdat' && moof) {
      fragments.push({ start: moof.start, end: p + size });
      videoSamples += moof.samples;
      moof = undefined;
    }
    p += size;
  }
  return { fragments, videoSamples };
}

function firstVideoFrameIsKey(file: string): boolean {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.trim().split('\n')[0].startsWith('1');
}

t.test('a 20 s publish rolls over into playable parts that reach the ingress store and the queue', async (t) => {
  const hookLog = join(mkdtempSync(join(tmpdir(), 'sc-rec-hook-')), 'done.txt');
  t.teardown(() => rmSync(join(hookLog, '..'), { recursive: true, force: true }));
  const origin = await startOrigin(t, { RECORD: 'all', RECORD_MAX_SIZE: '1000K', RECORD_DONE_EXEC: `echo "$1 $2" >> ${hookLog}` });
  const pub = publish(t, origin.rtmp('rec'), { seconds: 20 });
  const rec = join(origin.mediaDir, 'rec');
  // HLS_FORMAT=fmp4 (the default): the packager's own fragments are what is recorded.
  const recording = await waitFor('a fragmented part being written', () => readdirSync(rec).find((f) => /^rec-\d{10}\.fmp4$/.test(f) && statSync(join(rec, f)).size >= 8), 30_000);
  t.equal(readFileSync(join(rec, recording)).toString('latin1', 4, 8), 'ftyp', 'it starts with the init segment');
  await waitFor('publisher done', () => (pub.proc.exitCode !== null ? true : undefined), 60_000);
  const ingress = join(origin.mediaDir, 'ingress');
  await waitFor('every part uploaded and the local copies gone', () =>
    mp4s(ingress).length >= 2 && readdirSync(rec).filter((f) => RECORDING_FILE.test(f)).length === 0 ? true : undefined, 60_000);
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

  const metrics = await (await fetch(origin.url('/metrics'))).text();
  const packets = Number(/^spherecast_origin_packager_packets_total\S* (\S+)$/m.exec(metrics)?.[1]);
  const cpu = Number(/^spherecast_origin_packager_cpu_seconds_total\S* (\S+)$/m.exec(metrics)?.[1]);
  t.ok(packets > 20 * 30, `the packager counted ${packets} packets`);
  t.ok(cpu > 0, `and ${cpu} s of CPU for them`);
});

t.test('after SIGKILL mid-publish, the next start uploads the interrupted part, playable up to its last complete fragment', async (t) => {
  const mediaDir = mkdtempSync(join(tmpdir(), 'sc-rec-crash-'));
  t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
  const first = await startOrigin(t, { RECORD: 'all', MEDIA_DIR: mediaDir });
  publish(t, first.rtmp('crash'), { size: '640x360' });
  const rec = join(mediaDir, 'rec');
  const part = await waitFor('a part with a few seconds in it', () => {
    const f = readdirSync(rec).find((x) => x.endsWith('.fmp4'));
    return f && statSync(join(rec, f)).size > 200_000 ? join(rec, f) : undefined;
  }, 30_000);
  first.proc.kill('SIGKILL');
  await first.stop();
  t.same(mp4s(join(mediaDir, 'ingress')), [], 'nothing uploaded before the crash');
  // A SIGKILL seldom lands inside a write; the torn fragment one can leave is added by hand, so it is always there.
  const atKill = readFileSync(part);
  const whole = fragmentsOf(atKill);
  const last = whole.fragments.at(-1)!;
  appendFileSync(part, atKill.subarray(last.start, last.start + Math.floor((last.end - last.start) / 2)));
  t.ok(whole.videoSamples > 30, `${whole.videoSamples} video frames in complete fragments at the kill`);

  const second = await startOrigin(t, { RECORD: 'all', MEDIA_DIR: mediaDir });
  const ingress = join(mediaDir, 'ingress');
  const parts = await waitFor('the interrupted part in the store', () => (mp4s(ingress).length ? mp4s(ingress) : undefined), 30_000);
  t.same(parts, [basename(part).replace(/\.fmp4$/, '.mp4')]);
  const uploaded = join(ingress, parts[0]);
  t.ok(firstVideoFrameIsKey(uploaded));
  t.equal(decodedVideoFrames(uploaded), whole.videoSamples, 'every frame of the complete fragments decodes, nothing of the torn one');
  t.match(second.log(), /torn last fragment was dropped/);
  await waitFor('the local copies gone', () => (readdirSync(rec).some((f) => RECORDING_FILE.test(f)) ? undefined : true), 20_000);
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
  t.ok(readdirSync(rec).some((f) => RECORDING_FILE.test(f)), 'the part is kept on disk while the store is down');

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
  await waitFor('local copy removed after the verified upload', () => (readdirSync(rec).some((f) => RECORDING_FILE.test(f)) ? undefined : true), 20_000);
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
  await waitFor('recording under way', () => (readdirSync(rec).some((f) => f.endsWith('.fmp4') && statSync(join(rec, f)).size > 50_000) ? true : undefined), 30_000);
  notice = true;
  const code = await waitFor('origin exits', () => (origin.proc.exitCode !== null ? origin.proc.exitCode : undefined), 60_000);
  t.equal(code, 0);
  t.equal(mp4s(join(origin.mediaDir, 'ingress')).length, 1, 'the open part was uploaded before exiting');
  t.match(origin.log(), /Spot interruption notice/);
});

t.test('HLS_FORMAT=ts keeps recording FLV parts, remuxed to MP4, rolled over on keyframes', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'all', HLS_FORMAT: 'ts', RECORD_MAX_SIZE: '200K' });
  const pub = publish(t, origin.rtmp('tsrec'), { seconds: 8, size: '640x360' });
  const rec = join(origin.mediaDir, 'rec');
  await waitFor('an FLV part being written', () => readdirSync(rec).find((f) => /^tsrec-\d{10}\.flv$/.test(f)), 30_000);
  await waitFor('publisher done', () => (pub.proc.exitCode !== null ? true : undefined), 60_000);
  const ingress = join(origin.mediaDir, 'ingress');
  await waitFor('every part uploaded and the local copies gone', () =>
    mp4s(ingress).length >= 2 && readdirSync(rec).filter((f) => RECORDING_FILE.test(f)).length === 0 ? true : undefined, 60_000);
  let total = 0;
  for (const p of mp4s(ingress)) {
    t.ok(firstVideoFrameIsKey(join(ingress, p)), `${p} starts on a keyframe`);
    total += Number(ffprobeJson(join(ingress, p)).format.duration);
  }
  t.ok(Math.abs(total - 8) <= 1, `parts add up to ${total.toFixed(2)} s`);
  t.notMatch(origin.log(), /\.fmp4/, 'no fragmented recording');
});

t.test('HEVC streams are recorded, and a recording carries the stream layout as spherical metadata', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'all', HLS_FORMAT: 'fmp4', HLS_FRAGMENT: '1' });
  const sphere = publish(t, origin.rtmp('globe?projection=equirect'), { seconds: 3, size: '640x320' });
  // ffmpeg 5.1 cannot publish Enhanced RTMP: the tags are built from a libx265 encode and sent by the test client.
  const clip = encodeHevcClip({ seconds: 3, width: 320, height: 180, fps: 25, gop: 25 });
  const c = await RtmpTestClient.open(origin.rtmpPort);
  t.teardown(() => c.close());
  const { streamId, status } = await c.startPublish('hevc');
  t.match(status, { code: 'NetStream.Publish.Start' });
  for (const tag of enhancedFlvTags(clip)) c.sendTag(tag.type, streamId, tag.dts, tag.body);
  c.command('deleteStream', null, [streamId]);
  await waitFor('publisher done', () => (sphere.proc.exitCode !== null ? true : undefined), 60_000);
  const ingress = join(origin.mediaDir, 'ingress');
  const parts = await waitFor('both recordings in the store', () => {
    const all = mp4s(ingress);
    return all.some((f) => f.startsWith('hevc-')) && all.some((f) => f.startsWith('globe-')) ? all : undefined;
  }, 60_000);
  const hevc = join(ingress, parts.find((f) => f.startsWith('hevc-'))!);
  const video = ffprobeJson(hevc).streams.find((s: any) => s.codec_type === 'video');
  t.match(video, { codec_name: 'hevc', width: 320, height: 180 });
  t.equal(decodedVideoFrames(hevc), clip.samples.length, 'every HEVC frame sent is recorded and decodes');
  t.notMatch(origin.log(), /HEVC in recordings/, 'no warning that HEVC is left out');

  const globe = join(ingress, parts.find((f) => f.startsWith('globe-'))!);
  const side = ffprobeJson(globe).streams.find((s: any) => s.codec_type === 'video')?.side_data_list ?? [];
  t.match(side, [{ side_data_type: 'Stereo 3D', type: '2D' }, { side_data_type: 'Spherical Mapping', projection: 'equirectangular' }], 'st3d and sv3d of the live init segment');
});
