import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { RecordingUploader } from '../../src/origin/recording-uploader';
import { encodeTestFlv, readFlvTags } from '../fixtures/flv-file';
import { recordFragments } from '../fixtures/fragmented-recording';
import { ffprobeJson, publish, startOrigin, waitFor } from './origin-harness';

type Tap = { teardown(fn: () => unknown): void };

/** A real FLV part as the recorder writes them: H.264 + AAC, `seconds` long. */
function makeFlv(path: string, seconds: number): void {
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=160x90:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-f', 'flv', path,
  ]);
}

function setup(t: Tap) {
  const root = mkdtempSync(join(tmpdir(), 'sc-uploader-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const recDir = join(root, 'rec');
  const ingress = join(root, 'ingress');
  mkdirSync(recDir);
  const lines: any[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  const store = new LocalObjectStore({ root: ingress, log });
  const uploader = new RecordingUploader({ recDir, store, ffmpegPath: 'ffmpeg', doneExec: '', retry: { baseMs: 20, maxMs: 200 }, log });
  t.teardown(() => uploader.close(100));
  return { root, recDir, ingress, lines, uploader };
}

const uploaded = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort() : []);

t.test('a part that keeps failing is retried with backoff on its own while the parts behind it upload', async (t) => {
  const { recDir, ingress, lines, uploader } = setup(t);
  // A folder where a part should be: every read fails (EISDIR), as a broken disk block would.
  mkdirSync(join(recDir, 'a-1000000001.mp4'));
  makeFlv(join(recDir, 'b-1000000002.flv'), 1);
  await uploader.start();
  await waitFor('the part behind the failing one uploaded', () => (uploaded(ingress).includes('b-1000000002.mp4') ? true : undefined), 20_000, 50);
  const retries = await waitFor('a few retries of the failing part', () => {
    const r = lines.filter((l) => l.file === 'a-1000000001' && /will retry/.test(l.msg));
    return r.length >= 3 ? r : undefined;
  }, 20_000, 50);
  t.same(retries.slice(0, 3).map((r) => r.attempt), [1, 2, 3], 'attempts are counted per part');
  t.ok(retries.every((r) => r.retryInMs <= 200), 'with capped backoff');
  t.equal(uploader.pending, 1, 'only the failing part waits');
  t.same(readdirSync(recDir).filter((f) => f.startsWith('b-')), [], 'the uploaded part left the disk');
});

t.test('a part whose files are gone is done, not retried, and the next one uploads', async (t) => {
  const { recDir, ingress, lines, uploader } = setup(t);
  await uploader.start();
  // rec/ removed and re-created under a running recorder: the part it had open is gone.
  uploader.add(join(recDir, 'gone-1000000003.flv'));
  makeFlv(join(recDir, 'next-1000000004.flv'), 1);
  uploader.add(join(recDir, 'next-1000000004.flv'));
  await waitFor('the next part uploaded', () => (uploaded(ingress).includes('next-1000000004.mp4') ? true : undefined), 20_000, 50);
  await waitFor('nothing pending', () => (uploader.pending === 0 ? true : undefined), 10_000, 20);
  t.ok(lines.some((l) => l.file === 'gone-1000000003' && l.code === 'SC_ERR_NOT_FOUND' && /gone from disk/.test(l.msg)), 'a warning names the vanished part');
  t.notOk(lines.some((l) => l.file === 'gone-1000000003' && /will retry/.test(l.msg)), 'never retried');
});

t.test('a crash that left x.flv and a partial x.mp4: the part is remuxed again from the FLV, uploaded whole, and the next part follows', async (t) => {
  const { root, recDir, ingress, uploader } = setup(t);
  makeFlv(join(recDir, 'x-1000000005.flv'), 3);
  // What a remux cut short by a power loss can leave: the first part of an MP4, renamed into place.
  const whole = join(root, 'whole.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(recDir, 'x-1000000005.flv'), '-c', 'copy', '-movflags', '+faststart', whole]);
  writeFileSync(join(recDir, 'x-1000000005.mp4'), readFileSync(whole).subarray(0, Math.floor(statSync(whole).size / 3)));
  makeFlv(join(recDir, 'y-1000000006.flv'), 1);
  // And an MP4 whose FLV was already deleted after a verified upload: it is complete, and goes again.
  copyFileSync(whole, join(recDir, 'z-1000000007.mp4'));
  await uploader.start();
  await waitFor('all three parts uploaded', () => (uploaded(ingress).length === 3 ? true : undefined), 20_000, 50);
  t.same(uploaded(ingress), ['x-1000000005.mp4', 'y-1000000006.mp4', 'z-1000000007.mp4']);
  const x = ffprobeJson(join(ingress, 'x-1000000005.mp4'));
  t.ok(Math.abs(Number(x.format.duration) - 3) < 0.2, `x is whole: ${x.format.duration} s`);
  t.ok(x.streams.some((s: any) => s.codec_name === 'h264') && x.streams.some((s: any) => s.codec_name === 'aac'));
  await waitFor('the local copies gone', () => (readdirSync(recDir).filter((f) => /\.(flv|mp4)$/.test(f)).length === 0 ? true : undefined), 10_000, 50);
  // A part leaves the queue once its upload has finished, just after its local files are deleted.
  await waitFor('nothing left to upload', () => (uploader.pending === 0 ? true : undefined), 10_000, 50);
  t.equal(uploader.pending, 0);
});

t.test('rec/ removed and re-created under a recording origin: the lost part is skipped and every later part uploads', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'all', RECORD_MAX_SIZE: '64K', HLS_FRAGMENT: '1' });
  const rec = join(origin.mediaDir, 'rec');
  const ingress = join(origin.mediaDir, 'ingress');
  const pub = publish(t, origin.rtmp('moved'), { size: '320x180', seconds: 5 });
  await waitFor('a part being recorded', () => (readdirSync(rec).some((f) => f.endsWith('.fmp4')) ? true : undefined), 20_000, 20);
  rmSync(rec, { recursive: true, force: true });
  mkdirSync(rec);
  await waitFor('publisher done', () => (pub.proc.exitCode !== null ? true : undefined), 30_000);
  const after = await waitFor('parts recorded after the removal uploaded, none left on disk', () => {
    const local = readdirSync(rec).filter((f) => /\.(flv|fmp4|mp4)$/.test(f));
    return local.length === 0 && uploaded(ingress).length >= 2 ? uploaded(ingress) : undefined;
  }, 30_000);
  t.ok(after.length >= 2, `${after.length} later parts uploaded`);
  t.match(origin.log(), /gone from disk/, 'the lost part is named in a warning');
  t.notMatch(origin.log(), /will retry/, 'nothing waits on the lost part');
});

t.test('fragmented parts left by a crash: a torn one is cut to its last complete fragment and uploaded; one with no fragment is deleted', async (t) => {
  const { recDir, ingress, lines, uploader } = setup(t);
  const tags = readFlvTags(encodeTestFlv({ seconds: 3, width: 160, height: 90, fps: 25, gop: 25 }));
  const [whole] = await recordFragments(recDir, 'torn', tags);
  const bytes = readFileSync(whole!);
  // What a crash inside a write leaves: the whole recording, then half of one more fragment.
  const boxes: Array<{ type: string; start: number; end: number }> = [];
  for (let p = 0; p < bytes.length; p += bytes.readUInt32BE(p)) boxes.push({ type: bytes.toString('latin1', p + 4, p + 8), start: p, end: p + bytes.readUInt32BE(p) });
  const moof = boxes.at(-2)!;
  writeFileSync(whole!, Buffer.concat([bytes, bytes.subarray(moof.start, moof.start + Math.floor((boxes.at(-1)!.end - moof.start) / 2))]));
  // And a part killed before its first fragment was written: an init segment alone.
  writeFileSync(join(recDir, 'empty-1000000008.fmp4'), bytes.subarray(0, boxes[1]!.end));
  await uploader.start();
  await waitFor('the torn part uploaded', () => (uploaded(ingress).length === 1 ? true : undefined), 20_000, 50);
  t.same(uploaded(ingress), [basename(whole!).replace(/\.fmp4$/, '.mp4')]);
  const frames = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', join(ingress, uploaded(ingress)[0]!)], { encoding: 'utf8' });
  t.equal(Number(frames.trim()), tags.filter((x) => x.type === 9 && x.body[1] === 1).length, 'every frame of the complete fragments');
  t.ok(lines.some((l) => /torn last fragment was dropped/.test(l.msg) && l.dropped > 0));
  t.ok(lines.some((l) => l.file === 'empty-1000000008.fmp4' && /no complete fragment/.test(l.msg)));
  // The file is gone from disk a moment before the uploader's completion callback runs: wait for both.
  await waitFor('the local copies gone and nothing pending', () => (readdirSync(recDir).filter((f) => /\.(fmp4|mp4)$/.test(f)).length === 0 && uploader.pending === 0 ? true : undefined), 10_000, 50);
  t.equal(uploader.pending, 0);
});
