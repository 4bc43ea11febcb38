// ffprobe as the transcoder runs it: container forced, in its own process group, stopped by its
// time limit or an abort. The hanging input is a FIFO nobody writes to: ffprobe blocks opening it.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { isScError } from '../../src/shared/errors';
import { probe } from '../../src/transcoder/probe';
import { detectSourceContainer, MP4, MPEGTS } from '../../src/transcoder/source-container';
import { encodeTestFlv, readFlvTags } from '../fixtures/flv-file';
import { recordFragments } from '../fixtures/fragmented-recording';
import { makeClip, pgrep, tempDir, until } from './harness';

const MAX_PIXELS = 8192 * 8192;

t.test('a probe that hangs is killed at its time limit: SC_ERR_TIME_LIMIT, no ffprobe left', async (t) => {
  const dir = tempDir(t, 'probe-hang');
  const fifo = join(dir, 'never-written.ts');
  execFileSync('mkfifo', [fifo]);
  const pending = probe(fifo, { ffprobePath: 'ffprobe', container: MPEGTS, maxPixels: MAX_PIXELS, timeoutMs: 500, label: 'never-written.ts' });
  await until(async () => (await pgrep(fifo)).length === 1, 'ffprobe started');
  const err = await pending.catch((e) => e);
  t.ok(isScError(err, 'SC_ERR_TIME_LIMIT'), `${err}`);
  t.match(err.message, /probe of never-written\.ts exceeded its time limit of 0\.5 s/);
  t.same(await pgrep(fifo), [], 'ffprobe is gone');
});

t.test('aborting a probe (the worker closing) kills ffprobe at once', async (t) => {
  const dir = tempDir(t, 'probe-abort');
  const fifo = join(dir, 'never-written.ts');
  execFileSync('mkfifo', [fifo]);
  const abort = new AbortController();
  const pending = probe(fifo, { ffprobePath: 'ffprobe', container: MPEGTS, maxPixels: MAX_PIXELS, timeoutMs: 600_000, signal: abort.signal, label: 'x' });
  await until(async () => (await pgrep(fifo)).length === 1, 'ffprobe started');
  abort.abort();
  const err = await pending.catch((e) => e);
  t.ok(isScError(err, 'SC_ERR_TRANSCODE'));
  t.match(err.message, /stopped/);
  t.same(await pgrep(fifo), [], 'ffprobe is gone');
});

t.test('a real clip probes with its container forced; the wrong container is unreadable media', async (t) => {
  const dir = tempDir(t, 'probe-ok');
  const clip = await makeClip(join(dir, 'a.mp4'), { width: 320, height: 160, seconds: 1 });
  const info = await probe(clip, { ffprobePath: 'ffprobe', container: MP4, maxPixels: MAX_PIXELS, timeoutMs: 30_000 });
  t.match(info, { video: { width: 320, height: 160 }, audio: { codec: 'aac' } });
  t.match(info.formatName, /mov/);
  const wrong = await probe(clip, { ffprobePath: 'ffprobe', container: MPEGTS, maxPixels: MAX_PIXELS, timeoutMs: 30_000, label: 'a.mp4' }).catch((e) => e);
  t.ok(isScError(wrong, 'SC_ERR_MEDIA'), `${wrong}`);
  const small = await probe(clip, { ffprobePath: 'ffprobe', container: MP4, maxPixels: 100 * 100, timeoutMs: 30_000, label: 'a.mp4' }).catch((e) => e);
  t.ok(isScError(small, 'SC_ERR_MEDIA_REFUSED'), `frames over -max_pixels are refused: ${small}`);
  t.match(small.message, /frame size 320x160 is over 10000 pixels/);
});

t.test('a recording as the origin writes it while live (fragmented MP4: init segment + packager parts) passes the source check and probes whole', async (t) => {
  const dir = tempDir(t, 'probe-fmp4');
  const tags = readFlvTags(encodeTestFlv({ seconds: 3, width: 320, height: 160, fps: 25, gop: 25 }));
  const [part] = await recordFragments(dir, 'live', tags);
  // Uploaded as the store names it, whether or not the origin remuxed it first.
  const file = join(dir, 'live-1700000000.mp4');
  renameSync(part!, file);
  const container = await detectSourceContainer(file, 'live-1700000000.mp4');
  t.equal(container, MP4, 'the allow-list takes it as mp4/mov');
  const info = await probe(file, { ffprobePath: 'ffprobe', container, maxPixels: MAX_PIXELS, timeoutMs: 30_000 });
  t.match(info, { video: { width: 320, height: 160 }, audio: { codec: 'aac' } });
  t.ok(Math.abs(info.duration! - 3) < 0.1, `duration ${info.duration} s`);
});
