// Live viewport renditions (LIVE_VIEWPORT_RENDITIONS, issue #15) from the real origin process, fed by real ffmpeg
// publishes: a 512x256 (2:1 mono equirect) stream gets K=2 yaw-biased renditions at its own size from the live
// ladder's ffmpeg (LIVE_LADDER empty), listed in <name>.viewport.json and <name>_viewport.m3u8 and never in the
// stream's master; each is LL-HLS with its keyframes at the source's times (ffprobe); the listing parses with the
// player's parser and goes when the stream ends or its encoder dies. A flat stream gets none.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import type { MasterPlaylist, MediaPlaylist } from 'hls-parser/types';
import { llPlaylistViolations } from '../fixtures/ll-playlist-rules';
import { parseViewportListing } from '../../src/shared/layout/viewport-listing';
import { ffmpegChildren, ffprobeJson, publish, startOrigin, waitFor, type Origin, type Publisher } from './origin-harness';

const env = { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '8', RECORD: 'off', LIVE_VIEWPORT_RENDITIONS: '2', LIVE_LADDER_PRESET: 'ultrafast', THUMBNAIL_INTERVAL: '0' };
const SOURCE = 'vp_1280';
const VIEWPORT = ['vp_yaw-000', 'vp_yaw-180'];

let origin: Origin;
let equirect: Publisher;

const get = (path: string) => fetch(origin.url(path));
const text = async (path: string) => {
  const r = await get(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.text();
};
const media = async (variant: string) => parse(await text(`/hls/${variant}/index.m3u8`)) as MediaPlaylist;
const master = async (path: string) => parse(await text(path)) as MasterPlaylist;
const segmentCount = (p: MediaPlaylist) => p.segments.filter((s) => s.uri).length;
const stat = async () => (await (await get('/stat?format=json')).json()) as { streams: Array<{ name: string; ladder?: { state: string; reason?: string; renditions: Array<{ name: string; bitrate: number; listed: boolean; yaw?: number }> } }> };

t.before(async () => {
  origin = await startOrigin(t, env);
  equirect = publish(t, origin.rtmp('vp'), { size: '512x256', gop: 30 });
  publish(t, origin.rtmp('flat'), { size: '256x144', gop: 30 });
  await waitFor('the viewport listing and a few segments of each rendition', async () => {
    if (!(await get('/hls/vp.viewport.json')).ok) return undefined;
    for (const v of [SOURCE, ...VIEWPORT]) if (segmentCount(await media(v)) < 4) return undefined;
    return true;
  }, 60_000, 300);
});

t.test('the listing parses with the player\'s parser and names both renditions at the source\'s size', async (t) => {
  const r = await get('/hls/vp.viewport.json');
  t.equal(r.headers.get('cache-control'), 'max-age=1', 'cached as the live playlists');
  const listing = parseViewportListing(await r.text());
  t.equal(listing.master, 'vp_viewport.m3u8');
  t.equal(listing.band, 270, '90 + 360/K degrees');
  t.same(listing.renditions.map((x) => [x.yaw, x.uri, x.width, x.height]), [[0, 'vp_yaw-000/index.m3u8', 512, 256], [180, 'vp_yaw-180/index.m3u8', 512, 256]]);
  const vm = await master('/hls/vp_viewport.m3u8');
  t.same(vm.variants.map((v) => v.uri), listing.renditions.map((x) => x.uri), 'the viewport master lists the same renditions');
  t.equal(new Set(vm.variants.map((v) => v.bandwidth)).size, vm.variants.length, 'no two BANDWIDTHs alike (hls.js folds alike variants into one level)');
  for (const v of vm.variants) t.ok(v.bandwidth > 0 && v.averageBandwidth! <= v.bandwidth, `${v.uri} measured: ${v.bandwidth}`);
  // The listing is rewritten after the master, so it can only trail it.
  for (const [i, x] of listing.renditions.entries()) t.ok(x.bandwidth > 0 && x.bandwidth <= vm.variants[i]!.bandwidth, `${x.uri} bandwidth ${x.bandwidth} as measured`);
});

t.test('the stream\'s master never lists them', async (t) => {
  const m = await master('/hls/vp.m3u8');
  t.same(m.variants.map((v) => v.uri), [`${SOURCE}/index.m3u8`]);
  t.equal((await get('/hls/vp_viewport.m3u8')).headers.get('cache-control'), 'max-age=1');
});

t.test('each viewport rendition gets VIEWPORT_BITRATE_SHARE of the declared source bitrate', async (t) => {
  const s = (await stat()).streams.find((x) => x.name === 'vp')!;
  // The publisher asks for -b:v 500k, which ffmpeg's FLV muxer declares as videodatarate 500000/1024 kbit/s.
  const share = Math.round(Math.round((500_000 / 1024) * 1000) * 0.4);
  t.match(s.ladder, { state: 'running', renditions: [{ name: 'yaw-000', yaw: 0, bitrate: share, listed: true }, { name: 'yaw-180', yaw: 180, bitrate: share, listed: true }] });
});

t.test('each viewport rendition is LL-HLS and reports only the other', async (t) => {
  for (const v of VIEWPORT) {
    const body = await text(`/hls/${v}/index.m3u8`);
    t.same(llPlaylistViolations(body), [], `${v} keeps the LL rules`);
    const p = parse(body) as MediaPlaylist;
    t.ok(p.lowLatencyCompatibility?.canBlockReload, `${v} blocks`);
    t.same(p.renditionReports.map((r) => r.uri), VIEWPORT.filter((x) => x !== v).map((x) => `../${x}/index.m3u8`));
  }
  t.notMatch(await text(`/hls/${SOURCE}/index.m3u8`), /yaw-/, 'the source reports no viewport rendition');
});

t.test('segments line up: keyframes of every viewport rendition at the source\'s times', async (t) => {
  const variants = [SOURCE, ...VIEWPORT];
  const lists = await Promise.all(variants.map((v) => media(v)));
  const complete = lists.map((p) => new Map(p.segments.filter((s) => s.uri).map((s) => [s.mediaSequenceNumber, s])));
  const common = [...complete[0]!.keys()].filter((n) => complete.every((c) => c.has(n))).slice(-3);
  t.ok(common.length >= 3, `segments ${common.join(', ')} are in every playlist`);
  const dir = mkdtempSync(join(tmpdir(), 'sc-viewport-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = await Promise.all(variants.map(async (v, i) => {
    const map = lists[i]!.segments.find((s) => s.mediaSequenceNumber === common[0])!.map!.uri;
    const bytes = await Promise.all([map, ...common.map((n) => complete[i]!.get(n)!.uri)].map(async (u) => Buffer.from(await (await get(`/hls/${v}/${u}`)).arrayBuffer())));
    const file = join(dir, `${v}.mp4`);
    writeFileSync(file, Buffer.concat(bytes));
    return file;
  }));
  const keyframes = files.map((f) => execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', f], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('K')).map((l) => l.split(',')[0]!));
  t.equal(keyframes[0]!.length, common.length, `one keyframe per segment (${keyframes[0]!.join(' ')})`);
  for (const [i, v] of VIEWPORT.entries()) {
    t.same(keyframes[i + 1], keyframes[0], `${v} has its keyframes at the source's times`);
    t.match(ffprobeJson(files[i + 1]!).streams.find((x: { codec_type: string }) => x.codec_type === 'video'), { width: 512, height: 256 }, `${v} is the whole picture at the source's size`);
  }
  // The middle 128 columns (yaw -45..45, pitch band) lie in yaw 0's favoured band only: its picture is better there.
  const run = (file: string): number => {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-i', files[0]!, '-lavfi', '[0:v]crop=128:128:192:64[a];[1:v]crop=128:128:192:64[b];[a][b]psnr', '-f', 'null', '-'], { encoding: 'utf8' });
    return Number(/average:([\d.]+)/.exec(r.stderr)?.[1]);
  };
  const [facing, away] = [run(files[1]!), run(files[2]!)];
  t.ok(facing > away + 1, `PSNR of the middle against the source: yaw 0 ${facing} dB > yaw 180 ${away} dB`);
});

t.test('a flat stream gets no viewport renditions', async (t) => {
  await waitFor('the flat stream live', async () => ((await get('/hls/flat_1280/index.m3u8')).ok ? true : undefined), 30_000, 300);
  t.equal((await get('/hls/flat.viewport.json')).status, 404);
  t.equal((await get('/hls/flat_viewport.m3u8')).status, 404);
  const s = (await stat()).streams.find((x) => x.name === 'flat')!;
  t.equal(s.ladder?.state, 'off');
});

t.test('the listing and the viewport master go when the stream ends', async (t) => {
  await equirect.stop();
  await waitFor('the listing removed', async () => ((await get('/hls/vp.viewport.json')).status === 404 ? true : undefined), 20_000, 200);
  t.equal((await get('/hls/vp_viewport.m3u8')).status, 404);
  for (const v of VIEWPORT) t.match(await text(`/hls/${v}/index.m3u8`), /#EXT-X-ENDLIST/, `${v} ended`);
});

t.test('an encoder killed: the listing and the viewport master go, the source plays on', async (t) => {
  publish(t, origin.rtmp('vp2'), { size: '512x256', gop: 30 });
  await waitFor('the second listing', async () => ((await get('/hls/vp2.viewport.json')).ok ? true : undefined), 60_000, 300);
  const [encoder] = ffmpegChildren(origin.proc.pid!);
  t.ok(encoder, 'one ladder ffmpeg');
  process.kill(encoder!, 'SIGKILL');
  await waitFor('the listing removed', async () => ((await get('/hls/vp2.viewport.json')).status === 404 ? true : undefined), 20_000, 200);
  t.equal((await get('/hls/vp2_viewport.m3u8')).status, 404);
  const first = (await media('vp2_1280')).mediaSequenceBase! + segmentCount(await media('vp2_1280'));
  await waitFor('the source moves on', async () => {
    const p = await media('vp2_1280');
    return p.mediaSequenceBase! + segmentCount(p) > first + 1 ? true : undefined;
  }, 20_000, 300);
  t.same((await master('/hls/vp2.m3u8')).variants.map((v) => v.uri), ['vp2_1280/index.m3u8']);
  t.equal(await origin.stop(), 0);
});
