// Viewport renditions (#15): the plan, filter graph, encoder options and listing as pure functions, then a real
// `node dist/transcoder.js transcode` of a generated 360 clip: K renditions with aligned keyframes, listed apart from
// the main master, each sharper where it faces than behind it (viewport PSNR against the source, rendered by v360).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import { seededRandom } from '../../src/loadtest/think-time';
import { isScError } from '../../src/shared/errors';
import { chooseViewportRendition, parseViewportListing, viewportListingJson, viewportListingUrl, yawDistance } from '../../src/shared/layout/viewport-listing';
import { buildFilterGraph, buildOutputArgs } from '../../src/transcoder/ffmpeg-hls-job';
import { DEFAULT_360_LADDER, planRenditions } from '../../src/transcoder/ladder';
import { buildMasterPlaylists, MASTER_NAME } from '../../src/transcoder/master-playlist';
import type { MeasuredRendition } from '../../src/transcoder/rendition-measure';
import { favouredBand, roiFilters, viewportYaws } from '../../src/shared/layout/viewport-roi';
import { VIEWPORT_MASTER_NAME, viewportListingFor, withViewportRenditions } from '../../src/transcoder/viewport-renditions';
import { createLogger } from '../../src/shared/logger';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { makeClip, runTranscoder, startWorkerProcess, tempDir } from './harness';

const base = planRenditions({ width: 1920, height: 960, fps: 30 }, DEFAULT_360_LADDER, { segmentSeconds: 2 });

t.test('K yaws 360/K apart, each favouring 90 + 360/K degrees', async (t) => {
  t.same(viewportYaws(4), [0, 90, 180, 270]);
  t.same(viewportYaws(8), [0, 45, 90, 135, 180, 225, 270, 315]);
  t.same(viewportYaws(7).slice(0, 3), [0, 51.43, 102.86]);
  t.equal(favouredBand(8), 135);
  t.equal(favouredBand(2), 270);
});

t.test('the ROI band is centred on the yaw, wraps round the picture edge and covers the level viewport\'s pitch band', async (t) => {
  // 1920 wide, K = 8: 135 degrees = 720 px; yaw 0 is the middle column (960).
  t.equal(roiFilters(1920, 960, 0, 8, -0.3), 'addroi=x=600:y=240:w=720:h=480:qoffset=-0.3:clear=1');
  t.equal(roiFilters(1920, 960, 90, 8, -0.3), 'addroi=x=1080:y=240:w=720:h=480:qoffset=-0.3:clear=1');
  // Yaw 180 is the picture's edge: half the band on each side.
  t.equal(roiFilters(1920, 960, 180, 8, -0.3), 'addroi=x=1560:y=240:w=360:h=480:qoffset=-0.3:clear=1,addroi=x=0:y=240:w=360:h=480:qoffset=-0.3');
  // Yaw 315 (45 left of the middle): centred on column 960 - 240 = 720.
  t.equal(roiFilters(1920, 960, 315, 8, -0.2), 'addroi=x=360:y=240:w=720:h=480:qoffset=-0.2:clear=1');
});

t.test('the plan gains K copies of the largest equirect rung at a share of its bits; K = 0 changes nothing', async (t) => {
  t.equal(withViewportRenditions(base, { count: 0, bitrateShare: 0.4, qoffset: -0.3 }), base);
  const plan = withViewportRenditions(base, { count: 4, bitrateShare: 0.5, qoffset: -0.3 });
  const top = base.video[base.video.length - 1];
  t.equal(top.width, 1920);
  const vp = plan.video.filter((r) => r.viewportYaw !== undefined);
  t.same(vp.map((r) => r.name), ['yaw-000', 'yaw-090', 'yaw-180', 'yaw-270']);
  t.same(vp.map((r) => r.viewportYaw), [0, 90, 180, 270]);
  for (const r of vp) {
    t.equal(r.width, 1920);
    t.equal(r.height, 960);
    t.equal(r.codec, 'h264');
    t.equal(r.bitrate, Math.round(top.bitrate / 2));
    t.equal(r.maxrate, Math.round(top.maxrate / 2));
  }
  t.same(plan.video.slice(0, base.video.length), base.video, 'the ladder itself is untouched');
  // A 4K source's top rung is HEVC only (above H.264 level 4.2): its viewport copies are HEVC too.
  const big = planRenditions({ width: 3840, height: 1920, fps: 30 }, DEFAULT_360_LADDER, { segmentSeconds: 2 });
  const bigVp = withViewportRenditions(big, { count: 2, bitrateShare: 0.4, qoffset: -0.3 }).video.filter((r) => r.viewportYaw !== undefined);
  t.same(bigVp.map((r) => `${r.width}x${r.height} ${r.codec}`), ['3840x1920 hevc', '3840x1920 hevc']);
});

t.test('filter graph: the copies are scaled once, then each gets its own regions (clearing any before)', async (t) => {
  const plan = withViewportRenditions(base, { count: 2, bitrateShare: 0.4, qoffset: -0.3 });
  const graph = buildFilterGraph(plan);
  const n = base.video.length;
  t.match(graph, /^\[0:v\]format=yuv420p,split=2\[src0\]\[src1\];/);
  t.match(graph, `[src1]scale=1920:960:flags=bicubic,setsar=1,split=2[vp0][vp1]`);
  // K = 2: 270 degrees (1440 px) each, round yaw 0 (column 960) and yaw 180 (the edge).
  t.match(graph, `[vp0]addroi=x=240:y=240:w=1440:h=480:qoffset=-0.3:clear=1[r${n}]`);
  t.match(graph, `[vp1]addroi=x=1200:y=240:w=720:h=480:qoffset=-0.3:clear=1,addroi=x=0:y=240:w=720:h=480:qoffset=-0.3[r${n + 1}]`);
  t.equal((graph.match(/addroi/g) ?? []).length, 3, 'no ladder rung gets a region');
  t.equal(buildFilterGraph(base), buildFilterGraph({ ...base }), 'without viewport renditions the graph is the ladder\'s alone');
  t.notMatch(buildFilterGraph(base), /addroi|src1/);
  const args = buildOutputArgs({ outDir: '/o', plan, preset: 'ultrafast', threads: 1 });
  // ultrafast turns adaptive quantisation off, and x264 skips regions of interest without it.
  t.same(args.filter((a) => a.startsWith('-aq-mode')), [`-aq-mode:v:${n}`, `-aq-mode:v:${n + 1}`]);
  t.ok(args.includes('-force_key_frames'), 'the same forced keyframes for every rendition');
});

t.test('the viewport renditions get a master of their own, never the main one', async (t) => {
  const plan = withViewportRenditions(base, { count: 2, bitrateShare: 0.4, qoffset: -0.3 });
  const measured: MeasuredRendition[] = [
    ...plan.video.map((r): MeasuredRendition => ({ name: r.name, kind: 'video', peakBandwidth: r.bitrate, averageBandwidth: r.bitrate, duration: 6, segments: 3, codec: 'avc1.64001f', width: r.width, height: r.height, frameRate: 30 })),
    { name: 'audio', kind: 'audio', peakBandwidth: 70_000, averageBandwidth: 66_000, duration: 6, segments: 3, codec: 'mp4a.40.2', channels: 2 },
  ];
  const masters = buildMasterPlaylists(plan, measured);
  t.same([...masters.keys()], [MASTER_NAME, VIEWPORT_MASTER_NAME]);
  t.notMatch(masters.get(MASTER_NAME)!, /yaw-/);
  const vp = parse(masters.get(VIEWPORT_MASTER_NAME)!) as any;
  t.same(vp.variants.filter((v: any) => v.resolution).map((v: any) => v.uri).sort(), ['yaw-000/index.m3u8', 'yaw-180/index.m3u8']);
});

t.test('the listing (single job and fleet stitch alike) names each yaw with its measured bandwidth plus the audio', async (t) => {
  const plan = withViewportRenditions(base, { count: 2, bitrateShare: 0.4, qoffset: -0.3 });
  const measured = [...plan.video.map((r, i) => ({ name: r.name, peakBandwidth: 1_000_000 + i })), { name: plan.audio.name, peakBandwidth: 70_000 }];
  const read = parseViewportListing(viewportListingFor(plan, measured)!);
  t.same(read.renditions.map((r) => [r.yaw, r.uri]), [[0, 'yaw-000/index.m3u8'], [180, 'yaw-180/index.m3u8']]);
  const yaw0 = measured.find((m) => m.name === 'yaw-000')!;
  t.equal(read.renditions[0].bandwidth, yaw0.peakBandwidth + 70_000);
  t.equal(read.band, favouredBand(2));
  t.equal(viewportListingFor(base, measured), undefined, 'no viewport renditions, no listing');
});

const listing = { master: VIEWPORT_MASTER_NAME, band: 180, renditions: [0, 90, 180, 270].map((yaw) => ({ yaw, uri: `yaw-${yaw}/index.m3u8`, bandwidth: 1000, width: 640, height: 320 })) };

t.test('listing: written beside the master, read back, refused when malformed', async (t) => {
  t.equal(viewportListingUrl('https://cdn.example/vod/a/MANIFEST.M3U8?t=1'), 'https://cdn.example/vod/a/MANIFEST.viewport.json?t=1');
  t.same(parseViewportListing(viewportListingJson(listing)), listing);
  const bad: Array<[string, unknown]> = [
    ['not an object', []],
    ['absolute master', { viewport: { ...listing, master: 'https://evil.example/x.m3u8' } }],
    ['master outside', { viewport: { ...listing, master: '../x.m3u8' } }],
    ['one rendition', { viewport: { ...listing, renditions: listing.renditions.slice(0, 1) } }],
    ['yaw out of range', { viewport: { ...listing, renditions: [...listing.renditions.slice(1), { ...listing.renditions[0], yaw: 360 }] } }],
    ['yaw twice', { viewport: { ...listing, renditions: [...listing.renditions, listing.renditions[0]] } }],
    ['bandwidth', { viewport: { ...listing, renditions: [{ ...listing.renditions[0], bandwidth: -1 }, ...listing.renditions.slice(1)] } }],
    ['too many', { viewport: { ...listing, renditions: Array.from({ length: 37 }, (_, i) => ({ ...listing.renditions[0], yaw: i })) } }],
  ];
  for (const [why, doc] of bad) t.throws(() => parseViewportListing(JSON.stringify(doc)), { code: 'SC_ERR_VIEWPORT_LISTING' }, why);
  t.throws(() => parseViewportListing(' '.repeat(20_000)), { code: 'SC_ERR_VIEWPORT_LISTING' }, 'size limit');
});

t.test('fuzz: 3000 seeded mutations of a listing parse or are refused with SC_ERR_VIEWPORT_LISTING', async (t) => {
  const random = seededRandom(20261126);
  const text = viewportListingJson(listing);
  const alphabet = '{}[]":,0123456789.-eE aZ/\\u';
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const chars = [...text];
    const edits = 1 + Math.floor(random() * 6);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * chars.length);
      const c = alphabet[Math.floor(random() * alphabet.length)];
      if (random() < 0.5) chars[at] = c;
      else chars.splice(at, random() < 0.5 ? 1 : 0, c);
    }
    try {
      const parsed = parseViewportListing(chars.join(''));
      t.ok(parsed.renditions.length >= 2 && parsed.renditions.every((r) => r.yaw >= 0 && r.yaw < 360), `accepted case ${i} is well-formed`);
    } catch (err) {
      if (!isScError(err) || (err as { code: string }).code !== 'SC_ERR_VIEWPORT_LISTING') throw err;
      refused++;
    }
  }
  t.ok(refused > 0, `${refused} refused`);
});

t.test('choosing a rendition: the nearest yaw, round the circle, kept within the hysteresis', async (t) => {
  const r = listing.renditions;
  t.equal(yawDistance(350, 10), 20);
  t.equal(chooseViewportRendition(r, 0), 0);
  t.equal(chooseViewportRendition(r, 80), 1);
  t.equal(chooseViewportRendition(r, -100), 3, 'negative yaws wrap');
  t.equal(chooseViewportRendition(r, 330), 0);
  // Half way between 0 and 90: staying at 0 until 90 is nearer by more than the hysteresis.
  t.equal(chooseViewportRendition(r, 48, 0, 10), 0);
  t.equal(chooseViewportRendition(r, 51, 0, 10), 1);
  t.equal(chooseViewportRendition(r, 48, 0, 0), 1);
});

/** A rich 2:1 clip: six testsrc2 faces with grain through v360 (as bench:viewport), with a tone. */
function makeSphere(path: string): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=480x320:r=12:d=3,noise=alls=12:allf=t,format=yuv420p', '-f', 'lavfi', '-i', 'sine=sample_rate=48000:d=3',
    '-vf', 'v360=input=c3x2:output=e:w=640:h=320', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '4', '-c:a', 'aac', '-shortest', path]);
  return path;
}

function keyframeTimes(playlist: string): string[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', playlist], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().replace(/,+$/, '')).filter(Boolean);
}

/** PSNR (dB) of the 90 degree viewport at `yaw` of `encoded` against the source's, both rendered by v360. */
function viewportPsnr(source: string, encoded: string, yaw: number): number {
  const view = `v360=input=e:output=flat:h_fov=90:v_fov=90:yaw=${yaw}:w=240:h=240`;
  // Frame by frame (the grain changes every frame, so a frame's offset would be all that is measured).
  const graph = `[0:v]setpts=N/(12*TB),${view}[ref];[1:v]setpts=N/(12*TB),${view}[dist];[dist][ref]psnr`;
  const r = spawnSync('ffmpeg', ['-hide_banner', '-i', source, '-i', encoded, '-lavfi', graph, '-f', 'null', '-'], { encoding: 'utf8' });
  const m = /PSNR .*average:([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no PSNR: ${r.stderr.slice(-400)}`);
  return Number(m[1]);
}

t.test('transcode with VIEWPORT_RENDITIONS=4: aligned yaw renditions, listed apart, sharper where they face', async (t) => {
  const dir = tempDir(t, 'viewport');
  const input = makeSphere(join(dir, 'sphere.mp4'));
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], {
    LADDER_360: JSON.stringify([{ width: 640, height: 320, bitrate: '600k' }, { audio: '64k' }]),
    SEGMENT_SECONDS: '1',
    VIEWPORT_RENDITIONS: '4',
    VIEWPORT_BITRATE_SHARE: '0.5',
  });
  t.equal(r.code, 0, r.stderr);
  const main = parse(readFileSync(join(out, MASTER_NAME), 'utf8')) as any;
  t.same(main.variants.filter((v: any) => v.resolution).map((v: any) => v.uri), ['320p/index.m3u8'], 'the main master has the ladder only');
  const listed = parseViewportListing(readFileSync(join(out, 'MANIFEST.viewport.json'), 'utf8'));
  t.same(listed.renditions.map((x) => [x.yaw, x.uri, x.width, x.height]), [0, 90, 180, 270].map((y) => [y, `yaw-${String(y).padStart(3, '0')}/index.m3u8`, 640, 320]));
  t.equal(listed.master, VIEWPORT_MASTER_NAME);
  t.equal(listed.band, 180);
  const vpMaster = parse(readFileSync(join(out, VIEWPORT_MASTER_NAME), 'utf8')) as any;
  t.same(vpMaster.variants.filter((v: any) => v.resolution).map((v: any) => v.uri).sort(), listed.renditions.map((x) => x.uri));
  t.same(JSON.parse(readFileSync(join(out, 'MANIFEST_VIEWPORT.json'), 'utf8')).layout, { projection: 'equirect', stereo: 'mono' }, 'its layout JSON too');

  const ladderKeys = keyframeTimes(join(out, '320p', 'index.m3u8'));
  t.equal(ladderKeys.length, 3, `one keyframe per 1 s segment: ${ladderKeys}`);
  for (const x of listed.renditions) t.same(keyframeTimes(join(out, x.uri)), ladderKeys, `${x.uri}: keyframes at the ladder's times`);

  // The yaw-090 rendition: the viewport it faces against the one behind it (yaw 270), both against the source.
  const facing = viewportPsnr(input, join(out, 'yaw-090', 'index.m3u8'), 90);
  const behind = viewportPsnr(input, join(out, 'yaw-090', 'index.m3u8'), -90);
  const plainFacing = viewportPsnr(input, join(out, '320p', 'index.m3u8'), 90);
  t.comment(`yaw-090 at half the ladder rung's bitrate: viewport PSNR facing ${facing.toFixed(2)} dB, behind ${behind.toFixed(2)} dB; the rung itself facing ${plainFacing.toFixed(2)} dB`);
  t.ok(facing > behind + 3, `facing ${facing.toFixed(2)} dB > behind ${behind.toFixed(2)} dB + 3`);
  const opposite = viewportPsnr(input, join(out, 'yaw-270', 'index.m3u8'), 90);
  t.ok(facing > opposite + 3, `yaw 90 seen from yaw-090 (${facing.toFixed(2)} dB) beats it seen from yaw-270 (${opposite.toFixed(2)} dB)`);
});

t.test('through the worker: the listing and the viewport master are published; the index card lists the ladder only', async (t) => {
  const media = tempDir(t, 'viewport-worker');
  const log = createLogger({ level: 'silent', name: 'test' });
  const ingress = new LocalObjectStore({ root: join(media, 'ingress'), log });
  const queue = new LocalJobQueue({ root: join(media, 'queue'), log, maxReceiveCount: 2 });
  t.teardown(() => queue.close());
  const clip = await makeClip(join(media, 'sphere.mp4'), { width: 640, height: 320, seconds: 2 });
  const w = startWorkerProcess(t, {
    MEDIA_DIR: media,
    LADDER_360: JSON.stringify([{ width: 320, height: 160, bitrate: '200k' }, { width: 640, height: 320, bitrate: '600k' }, { audio: '64k' }]),
    SEGMENT_SECONDS: '1',
    RECEIVE_WAIT: '1',
    VIEWPORT_RENDITIONS: '2',
  });
  await w.waitFor((l) => l.msg === 'waiting for jobs', 'worker ready');
  const info = await ingress.putFile('cam-1764100000.mp4', clip);
  await queue.send(buildS3PutEvent({ bucket: ingress.bucket, key: 'cam-1764100000.mp4', size: info.size, etag: info.etag }));
  await w.waitFor((l) => l.msg === 'job done', 'job done');
  const asset = join(media, 'egress', 'cam-1764100000');
  const listing = parseViewportListing(readFileSync(join(asset, 'MANIFEST.viewport.json'), 'utf8'));
  t.same(listing.renditions.map((r) => r.yaw), [0, 180]);
  for (const r of listing.renditions) t.ok(existsSync(join(asset, r.uri)), `${r.uri} published`);
  t.ok(existsSync(join(asset, VIEWPORT_MASTER_NAME)), 'the viewport master is published');
  t.notMatch(readFileSync(join(asset, MASTER_NAME), 'utf8'), /yaw-/, 'the main master lists the ladder only');
  const card = JSON.parse(readFileSync(join(asset, 'asset.json'), 'utf8'));
  t.same(card.renditions.map((r: { name: string }) => r.name), ['320p', '160p'], 'the card lists the ladder only');
  t.equal(await w.stop('SIGTERM'), 0);
});
