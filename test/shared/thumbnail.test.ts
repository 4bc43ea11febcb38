// Thumbnails of 360 streams are rectilinear: a line that is straight in a flat view, turned by ffmpeg's v360 into
// each layout, comes back straight (and where the flat view had it) in the thumbnail, for every projection and the
// left eye of stereo frames. The same check fails on a plain crop of the 360 frame, so it can tell the difference.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeThumbnail } from '../../src/shared/thumbnail';
import { THUMBNAIL_SIZE, thumbnailFilter, verticalFov } from '../../src/shared/layout/thumbnail-filter';
import type { StreamLayout } from '../../src/shared/layout/stream-layout';
import { FLAT, LINE, fitLine, greyPixels, writeLineFrame } from '../fixtures/line-frames';

const dir = mkdtempSync(join(tmpdir(), 'sc-thumb-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const size = THUMBNAIL_SIZE;
// The thumbnail is the flat view scaled to its width: the line keeps its slope, its offset scales.
const scale = size.width / FLAT.width;

const cases: Array<{ layout: StreamLayout; frame: { width: number; height: number } }> = [
  { layout: { projection: 'equirect', stereo: 'mono' }, frame: { width: 1920, height: 960 } },
  { layout: { projection: 'equirect', stereo: 'top-bottom' }, frame: { width: 1920, height: 1920 } },
  { layout: { projection: 'equirect180', stereo: 'side-by-side' }, frame: { width: 1920, height: 960 } },
  { layout: { projection: 'cubemap', stereo: 'mono' }, frame: { width: 1536, height: 1024 } },
  { layout: { projection: 'eac', stereo: 'mono' }, frame: { width: 1536, height: 1024 } },
  { layout: { projection: 'flat', stereo: 'mono' }, frame: { width: 960, height: 540 } },
];

for (const { layout, frame } of cases) {
  t.test(`${layout.projection} ${layout.stereo}: the line stays straight`, async (t) => {
    const src = join(dir, `${layout.projection}-${layout.stereo}.png`);
    writeLineFrame(src, layout, frame);
    const out = join(dir, `${layout.projection}-${layout.stereo}.jpg`);
    await makeThumbnail({ ffmpegPath: 'ffmpeg', input: ['-i', src], layout, output: out, label: 'test', timeoutMs: 30_000 });
    const fit = fitLine(greyPixels(out, size), size);
    t.ok(fit.columns > size.width * 0.9, `the line crosses the picture (${fit.columns} columns)`);
    t.ok(fit.maxResidual < 2, `straight: at most ${fit.maxResidual.toFixed(2)} px off a straight line`);
    t.ok(Math.abs(fit.slope - LINE.slope) < 0.01, `same slope as in the flat view (${fit.slope.toFixed(4)})`);
    t.ok(Math.abs(fit.intercept - LINE.offset * scale) < 3, `same place as in the flat view (${fit.intercept.toFixed(1)})`);
    t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  });
}

t.test('the check fails on a plain crop of the front of the 360 frame', async (t) => {
  const src = join(dir, 'control.png');
  writeLineFrame(src, { projection: 'equirect', stereo: 'mono' }, { width: 1920, height: 960 });
  const vfov = verticalFov(90, size);
  const crop = join(dir, 'control-crop.png');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', src, '-vf', `crop=iw/4:ih*${vfov}/180:iw*3/8:ih/2-ih*${vfov}/360,scale=${size.width}:${size.height}`, crop]);
  const fit = fitLine(greyPixels(crop, size), size);
  t.ok(fit.maxResidual >= 2 || Math.abs(fit.slope - LINE.slope) >= 0.01, `bent: ${fit.maxResidual.toFixed(2)} px off, slope ${fit.slope.toFixed(4)}`);
});

t.test('the initial view turns the thumbnail; v360 gets the right input for each projection', async (t) => {
  t.match(thumbnailFilter({ projection: 'equirect', stereo: 'mono', view: { yaw: 90, pitch: -10 } }), /v360=input=e:output=flat:h_fov=90:v_fov=58\.7\d*:yaw=90:pitch=-10:w=480:h=270/);
  t.match(thumbnailFilter({ projection: 'equirect180', stereo: 'side-by-side' }), /^crop=iw\/2:ih:0:0,v360=input=hequirect:/);
  t.match(thumbnailFilter({ projection: 'cubemap', stereo: 'top-bottom' }), /^crop=iw:ih\/2:0:0,v360=input=c3x2:/);
  t.match(thumbnailFilter({ projection: 'eac', stereo: 'mono' }), /^v360=input=eac:/);
  t.notMatch(thumbnailFilter({ projection: 'flat', stereo: 'mono' }), /v360/);
});

t.test('bounded: an input that never yields a frame is killed at the time limit, an unreadable one refused', async (t) => {
  const out = join(dir, 'never.jpg');
  await t.rejects(
    makeThumbnail({ ffmpegPath: 'ffmpeg', input: ['-f', 'lavfi', '-i', 'color=black:s=64x64,select=0'], layout: { projection: 'flat', stereo: 'mono' }, output: out, label: 'never', timeoutMs: 1500 }),
    { code: 'SC_ERR_TIME_LIMIT' },
  );
  t.notOk(existsSync(out) || existsSync(`${out}.tmp`), 'nothing written');
  const junk = join(dir, 'junk.mp4');
  writeFileSync(junk, 'not a video at all');
  await t.rejects(
    makeThumbnail({ ffmpegPath: 'ffmpeg', input: ['-f', 'mp4', '-i', `file:${junk}`], layout: { projection: 'equirect', stereo: 'mono' }, output: join(dir, 'junk.jpg'), label: 'junk', timeoutMs: 30_000 }),
    { code: 'SC_ERR_THUMBNAIL' },
  );
});
