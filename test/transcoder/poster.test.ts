// Each VOD asset gets a poster (a rectilinear view of where a 360 video starts, one eye of stereo) and a card for
// the index, beside its master in the egress store: through the real worker process, and directly for a stereo
// asset whose layout comes from the JSON beside its master.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { THUMBNAIL_SIZE } from '../../src/shared/layout/thumbnail-filter';
import { layoutJson, type StreamLayout } from '../../src/shared/layout/stream-layout';
import { detectSourceContainer } from '../../src/transcoder/source-container';
import { posterSeconds, publishPoster } from '../../src/transcoder/poster';
import { FLAT, LINE, fitLine, greyPixels, writeLineFrame } from '../fixtures/line-frames';
import { SMALL_LADDER, startWorkerProcess, tempDir } from './harness';

const log = createLogger({ level: 'silent', name: 'test' });

/** A short H.264/AAC clip of the line frame in `layout`. */
function lineClip(dir: string, name: string, layout: StreamLayout, frame: { width: number; height: number }, seconds: number): string {
  const png = join(dir, `${name}.png`);
  writeLineFrame(png, layout, frame);
  const clip = join(dir, `${name}.mp4`);
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-framerate', '12', '-i', png, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '24', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip,
  ]);
  return clip;
}

function checkStraight(t: Test, jpg: string): void {
  const fit = fitLine(greyPixels(jpg, THUMBNAIL_SIZE), THUMBNAIL_SIZE);
  t.ok(fit.columns > THUMBNAIL_SIZE.width * 0.9, `the line crosses the poster (${fit.columns} columns)`);
  t.ok(fit.maxResidual < 2.5, `straight: at most ${fit.maxResidual.toFixed(2)} px off`);
  t.ok(Math.abs(fit.slope - LINE.slope) < 0.015, `slope ${fit.slope.toFixed(4)} as in the flat view`);
  t.ok(Math.abs(fit.intercept - (LINE.offset * THUMBNAIL_SIZE.width) / FLAT.width) < 4, `intercept ${fit.intercept.toFixed(1)} as in the flat view`);
}

t.test('after a transcode job the poster and the card are in the egress store beside the master', async (t) => {
  const media = tempDir(t, 'poster');
  const ingress = new LocalObjectStore({ root: join(media, 'ingress'), log });
  const queue = new LocalJobQueue({ root: join(media, 'queue'), log, maxReceiveCount: 2 });
  t.teardown(() => queue.close());
  const clip = lineClip(media, 'sphere', { projection: 'equirect', stereo: 'mono' }, { width: 1280, height: 640 }, 3);
  const w = startWorkerProcess(t, { MEDIA_DIR: media, LADDER: SMALL_LADDER, SEGMENT_SECONDS: '2', RECEIVE_WAIT: '1', VISIBILITY_TIMEOUT: '30' });
  await w.waitFor((l) => l.msg === 'waiting for jobs', 'worker ready');
  const key = 'cam-1764100000.mp4';
  const info = await ingress.putFile(key, clip);
  await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key, size: info.size, etag: info.etag }));
  await w.waitFor((l) => l.msg === 'job done', 'job done');
  const assetDir = join(media, 'egress', 'cam-1764100000');
  const poster = join(assetDir, 'MANIFEST.jpg');
  t.ok(statSync(poster).size > 0, 'MANIFEST.jpg is beside MANIFEST.M3U8');
  checkStraight(t, poster);
  const card = JSON.parse(readFileSync(join(assetDir, 'asset.json'), 'utf8'));
  t.match(card, {
    version: 1,
    title: 'cam',
    recordedAt: new Date(1764100000 * 1000).toISOString(),
    width: 1280,
    height: 640,
    layout: { projection: 'equirect', stereo: 'mono' },
    master: 'MANIFEST.M3U8',
    poster: 'MANIFEST.jpg',
  });
  t.ok(Math.abs(card.duration - 3) < 0.2, `duration ${card.duration}`);
  t.ok(!Number.isNaN(Date.parse(card.publishedAt)));
  t.same(card.renditions.map((r: { height: number }) => r.height), [...card.renditions.map((r: { height: number }) => r.height)].sort((a, b) => b - a), 'highest first');
  t.ok(card.renditions.length >= 1 && card.renditions.every((r: { bandwidth: number; width: number }) => r.bandwidth > 0 && r.width > 0));
  t.equal(await w.stop('SIGTERM'), 0);
});

t.test('a stereo asset: the layout JSON beside its master decides, and the poster shows the left eye', async (t) => {
  const dir = tempDir(t, 'poster-tb');
  const layout: StreamLayout = { projection: 'equirect', stereo: 'top-bottom' };
  const clip = lineClip(dir, 'tb', layout, { width: 1024, height: 1024 }, 2);
  const outDir = join(dir, 'out');
  mkdirSync(outDir);
  writeFileSync(join(outDir, 'MANIFEST.json'), layoutJson(layout));
  const store = new LocalObjectStore({ root: join(dir, 'egress'), log });
  await publishPoster({
    store,
    prefix: 'tb',
    outDir,
    master: 'MANIFEST.M3U8',
    input: clip,
    container: await detectSourceContainer(clip, 'tb'),
    maxPixels: 8192 * 8192,
    source: { duration: 2, formatName: 'mov,mp4', video: { codec: 'h264', width: 1024, height: 1024, fps: 12, layout: { projection: 'flat', stereo: 'mono' } } },
    renditions: [],
    ffmpegPath: 'ffmpeg',
    timeoutMs: 30_000,
    now: new Date(0),
    log,
  });
  checkStraight(t, join(dir, 'egress', 'tb', 'MANIFEST.jpg'));
  const card = JSON.parse(readFileSync(join(dir, 'egress', 'tb', 'asset.json'), 'utf8'));
  t.match(card, { title: 'tb', layout: { projection: 'equirect', stereo: 'top-bottom' }, poster: 'MANIFEST.jpg', publishedAt: '1970-01-01T00:00:00.000Z' });
  t.notOk('recordedAt' in card, 'not a recording name: no recording time');
});

t.test('a poster that cannot be made leaves the card without one', async (t) => {
  const dir = tempDir(t, 'poster-fail');
  const outDir = join(dir, 'out');
  mkdirSync(outDir);
  const clip = lineClip(dir, 'x', { projection: 'flat', stereo: 'mono' }, { width: 320, height: 180 }, 1);
  const store = new LocalObjectStore({ root: join(dir, 'egress'), log });
  await publishPoster({
    store, prefix: 'x', outDir, master: 'MANIFEST.M3U8', input: clip,
    container: await detectSourceContainer(clip, 'x'), maxPixels: 8192 * 8192,
    source: { duration: 1, formatName: 'mov,mp4', video: { codec: 'h264', width: 320, height: 180, fps: 12, layout: { projection: 'flat', stereo: 'mono' } } },
    renditions: [], ffmpegPath: join(dir, 'no-such-ffmpeg'), timeoutMs: 30_000, now: new Date(0), log,
  });
  const card = JSON.parse(readFileSync(join(dir, 'egress', 'x', 'asset.json'), 'utf8'));
  t.notOk('poster' in card);
  t.match(card, { layout: { projection: 'flat', stereo: 'mono' } });
});

t.test('the poster is taken a tenth in, at most 10 s', async (t) => {
  t.equal(posterSeconds(undefined), 0);
  t.ok(Math.abs(posterSeconds(3) - 0.3) < 1e-9);
  t.equal(posterSeconds(3600), 10);
});
