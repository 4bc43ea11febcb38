// The live ladder (LIVE_LADDER) from the real origin process, fed by a real ffmpeg publish of a
// 320x160 (2:1) source with two rungs: every rendition LL-HLS with the same segment boundaries
// (keyframe times read back by ffprobe), a master with what each rendition measures, rendition
// reports that agree with the other renditions' playlists, and an encoder that dies or stalls
// leaving the master while the source plays on.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import type { MasterPlaylist, MediaPlaylist } from 'hls-parser/types';
import { listedUris, llPlaylistViolations } from '../fixtures/ll-playlist-rules';
import { ffmpegChildren, ffprobeJson, publish, startOrigin, waitFor, type Origin } from './origin-harness';

const LADDER = JSON.stringify([
  { width: 240, height: 240, bitrate: '200k' },
  { width: 160, height: 160, bitrate: '100k' },
  // As large as the source: left out (never upscale, and the source is the top rendition already).
  { width: 640, height: 640, bitrate: '900k' },
]);
const env = { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '8', RECORD: 'off', LIVE_LADDER: LADDER };
const VARIANTS = ['lad_1280', 'lad_120p', 'lad_80p'];

let origin: Origin;
/** A second origin whose ladder is stopped (SIGSTOP) to fall behind real time. */
let slow: Origin;

const text = async (o: Origin, path: string) => {
  const r = await fetch(o.url(path));
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.text();
};
const media = async (o: Origin, variant: string, q = '') => parse(await text(o, `/hls/${variant}/index.m3u8${q}`)) as MediaPlaylist;
const master = async (o: Origin, name: string) => parse(await text(o, `/hls/${name}.m3u8`)) as MasterPlaylist;
const segmentCount = (p: MediaPlaylist) => p.segments.filter((s) => s.uri).length;
/** The last part a playlist lists: MSN and index, as a rendition report names it. */
const lastPart = (p: MediaPlaylist) => {
  // hls-parser gives the preload hint a segment of its own: skip one with no complete part.
  const last = p.segments.filter((s) => (s.parts ?? []).some((x) => !x.hint)).pop()!;
  return { msn: last.mediaSequenceNumber, part: (last.parts ?? []).filter((x) => !x.hint).length - 1 };
};
const stat = async (o: Origin) => (await (await fetch(o.url('/stat?format=json'))).json()) as { streams: Array<{ name: string; ladder?: { state: string; reason?: string; renditions: Array<{ name: string; listed: boolean }> } }> };

t.before(async () => {
  [origin, slow] = await Promise.all([startOrigin(t, env), startOrigin(t, { ...env, LIVE_LADDER_MAX_LAG: '1' })]);
  publish(t, origin.rtmp('lad'), { size: '320x160', gop: 30 });
  await waitFor('three renditions with a few segments each', async () => {
    for (const v of VARIANTS) if (segmentCount(await media(origin, v)) < 4) return undefined;
    return (await master(origin, 'lad')).variants.length === 3 || undefined;
  }, 60_000, 300);
});

t.test('the master lists the source and two rungs, 2:1 kept, none upscaled, with measured figures', async (t) => {
  const m = await master(origin, 'lad');
  t.same(m.variants.map((v) => v.uri), VARIANTS.map((v) => `${v}/index.m3u8`), 'the source first, then the rungs largest first');
  t.same(m.variants.map((v) => v.resolution), [{ width: 320, height: 160 }, { width: 240, height: 120 }, { width: 160, height: 80 }]);
  for (const v of m.variants) {
    t.match(v.codecs, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/, `${v.uri} CODECS`);
    t.ok(v.frameRate! > 29 && v.frameRate! < 31, `${v.uri} FRAME-RATE ${v.frameRate}`);
    t.ok(v.bandwidth > 0 && v.averageBandwidth! > 0 && v.averageBandwidth! <= v.bandwidth, `${v.uri} BANDWIDTH ${v.bandwidth} / ${v.averageBandwidth}`);
  }
  // The rungs are smaller encodes of the same picture plus the same audio.
  t.ok(m.variants[2]!.averageBandwidth! < m.variants[1]!.averageBandwidth!, 'the smaller rung needs less');
  const s = (await stat(origin)).streams.find((x) => x.name === 'lad')!;
  t.match(s.ladder, { state: 'running', renditions: [{ name: '120p', listed: true }, { name: '80p', listed: true }] });
});

t.test('every rendition keeps the LL-HLS rules and serves what it lists', async (t) => {
  for (const v of VARIANTS) {
    const body = await text(origin, `/hls/${v}/index.m3u8`);
    const broken = llPlaylistViolations(body);
    t.same(broken, [], `${v} keeps the LL rules`);
    if (broken.length) t.comment(body);
    t.ok((parse(body) as MediaPlaylist).lowLatencyCompatibility?.canBlockReload, `${v} blocks`);
    const uris = listedUris(body);
    for (const u of [...uris.maps, ...uris.segments.slice(-2), ...uris.parts.slice(-3)]) {
      const r = await fetch(origin.url(`/hls/${v}/${u}`));
      t.equal(r.status, 200, `${v}/${u}`);
      await r.arrayBuffer();
    }
  }
});

t.test('segments line up: same numbers, durations, PROGRAM-DATE-TIMEs and keyframe times in every rendition', async (t) => {
  const lists = await Promise.all(VARIANTS.map((v) => media(origin, v)));
  const complete = lists.map((p) => new Map(p.segments.filter((s) => s.uri).map((s) => [s.mediaSequenceNumber, s])));
  const common = [...complete[0]!.keys()].filter((n) => complete.every((c) => c.has(n))).slice(-3);
  t.ok(common.length >= 3, `segments ${common.join(', ')} are in every playlist`);
  for (const n of common) {
    const [a, ...rest] = complete.map((c) => c.get(n)!);
    for (const b of rest) {
      t.equal(b.duration, a!.duration, `segment ${n} lasts as long`);
      t.equal(b.programDateTime?.getTime(), a!.programDateTime?.getTime(), `segment ${n} starts at the same wall-clock time`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'sc-ladder-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Everything is fetched first, while it is still served; ffprobe (slow on a busy machine) after.
  const files = await Promise.all(VARIANTS.map(async (v, i) => {
    const map = lists[i]!.segments.find((s) => s.mediaSequenceNumber === common[0])!.map!.uri;
    const bytes = await Promise.all([map, ...common.map((n) => complete[i]!.get(n)!.uri)].map(async (u) => {
      const r = await fetch(origin.url(`/hls/${v}/${u}`));
      t.equal(r.status, 200, `${v}/${u}`);
      return Buffer.from(await r.arrayBuffer());
    }));
    const file = join(dir, `${v}.mp4`);
    writeFileSync(file, Buffer.concat(bytes));
    return file;
  }));
  const keyframes: string[][] = [];
  for (const [i, v] of VARIANTS.entries()) {
    const file = files[i]!;
    const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file], { encoding: 'utf8' });
    keyframes.push(out.split('\n').filter((l) => l.includes('K')).map((l) => l.split(',')[0]!));
    t.equal(ffprobeJson(file).streams.length, 2, `${v} decodes with video and audio`);
  }
  t.equal(keyframes[0]!.length, common.length, `one keyframe per segment (${keyframes[0]!.join(' ')})`);
  t.same(keyframes[1], keyframes[0], 'the 240x120 rung has its keyframes at the source\'s times');
  t.same(keyframes[2], keyframes[0], 'the 160x80 rung has its keyframes at the source\'s times');
});

t.test('each playlist reports every other rendition, as far as that one has got', async (t) => {
  for (const self of VARIANTS) {
    const others = VARIANTS.filter((v) => v !== self);
    const before = await Promise.all(others.map((v) => media(origin, v)));
    const p = await media(origin, self);
    const after = await Promise.all(others.map((v) => media(origin, v)));
    t.same(p.renditionReports.map((r) => r.uri).sort(), others.map((v) => `../${v}/index.m3u8`).sort(), `${self} reports the others`);
    const order = (x: { msn: number; part: number }) => x.msn * 1000 + x.part;
    others.forEach((v, i) => {
      const r = p.renditionReports.find((x) => x.uri === `../${v}/index.m3u8`)!;
      const reported = { msn: r.lastMSN!, part: r.lastPart! };
      t.ok(order(lastPart(before[i]!)) <= order(reported) && order(reported) <= order(lastPart(after[i]!)), `${self} reports ${v} at ${reported.msn}.${reported.part}, between ${JSON.stringify(lastPart(before[i]!))} and ${JSON.stringify(lastPart(after[i]!))}`);
    });
    // What is reported exists: a blocking request for it is answered at once with it listed.
    const r = p.renditionReports[0]!;
    const target = r.uri.slice(3);
    const held = await text(origin, `/hls/${target}?_HLS_msn=${r.lastMSN}&_HLS_part=${r.lastPart}`);
    t.match(held, `URI="${r.lastMSN}.${r.lastPart}.m4s"`, `${target} has part ${r.lastMSN}.${r.lastPart}`);
  }
});

t.test('an encoder that stalls falls behind real time: reported, its renditions leave the master, the source plays on', async (t) => {
  publish(t, slow.rtmp('lad'), { size: '320x160', gop: 30 });
  await waitFor('the slow origin lists its rungs', async () => ((await master(slow, 'lad')).variants.length === 3 ? true : undefined), 60_000, 300);
  const [encoder] = ffmpegChildren(slow.proc.pid!);
  t.ok(encoder, 'one ladder ffmpeg');
  process.kill(encoder!, 'SIGSTOP');
  await waitFor('the master without the rungs', async () => ((await master(slow, 'lad')).variants.length === 1 ? true : undefined), 30_000, 300);
  const s = (await stat(slow)).streams.find((x) => x.name === 'lad')!;
  t.equal(s.ladder?.state, 'behind');
  t.match(s.ladder?.reason, /behind the source .*LIVE_LADDER_MAX_LAG 1 s/);
  t.match(slow.log(), /"code":"SC_ERR_LIVE_LADDER".*slower than real time/, 'one warning');
  t.match(await text(slow, '/metrics'), /spherecast_origin_ladder_dropped_total\{reason="behind",program="origin"\} 1/);
  await waitFor('the stopped encoder killed', () => (ffmpegChildren(slow.proc.pid!).length === 0 ? true : undefined), 10_000);
  const first = lastPart(await media(slow, 'lad_1280'));
  await waitFor('the source moves on', async () => (lastPart(await media(slow, 'lad_1280')).msn > first.msn + 1 ? true : undefined), 20_000, 300);
  t.same((await media(slow, 'lad_1280')).renditionReports, [], 'the source reports nothing it no longer lists');
});

t.test('an encoder killed: its renditions leave the master, the source rendition plays on', async (t) => {
  const [encoder] = ffmpegChildren(origin.proc.pid!);
  t.ok(encoder, 'one ladder ffmpeg');
  process.kill(encoder!, 'SIGKILL');
  await waitFor('the master without the rungs', async () => ((await master(origin, 'lad')).variants.length === 1 ? true : undefined), 20_000, 200);
  const m = await master(origin, 'lad');
  t.same(m.variants.map((v) => v.uri), ['lad_1280/index.m3u8']);
  const s = (await stat(origin)).streams.find((x) => x.name === 'lad')!;
  t.equal(s.ladder?.state, 'failed');
  t.match(s.ladder?.reason, /killed by SIGKILL/);
  t.match(await text(origin, '/metrics'), /spherecast_origin_ladder_dropped_total\{reason="exited",program="origin"\} 1/);
  for (const v of VARIANTS.slice(1)) {
    await waitFor(`${v} ended`, async () => ((await text(origin, `/hls/${v}/index.m3u8`)).includes('#EXT-X-ENDLIST') ? true : undefined), 10_000, 200);
  }
  // The source goes on: new segments, decodable, LL rules kept, no reports of what is gone.
  const first = lastPart(await media(origin, 'lad_1280'));
  await waitFor('two more source segments', async () => (lastPart(await media(origin, 'lad_1280')).msn >= first.msn + 2 ? true : undefined), 20_000, 300);
  const body = await text(origin, '/hls/lad_1280/index.m3u8');
  t.same(llPlaylistViolations(body), []);
  t.notMatch(body, /RENDITION-REPORT/);
  const p = parse(body) as MediaPlaylist;
  const seg = p.segments.filter((x) => x.uri).pop()!;
  const dir = mkdtempSync(join(tmpdir(), 'sc-ladder-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = await Promise.all([seg.map!.uri, seg.uri].map(async (u) => Buffer.from(await (await fetch(origin.url(`/hls/lad_1280/${u}`))).arrayBuffer())));
  writeFileSync(join(dir, 'after.mp4'), Buffer.concat(bytes));
  t.match(ffprobeJson(join(dir, 'after.mp4')).streams.find((x: { codec_type: string }) => x.codec_type === 'video'), { width: 320, height: 160 });
});

t.test('SIGTERM: every stream ends and no ladder ffmpeg is left', async (t) => {
  const pids = [origin.proc.pid!, slow.proc.pid!];
  t.equal(await origin.stop(), 0);
  t.equal(await slow.stop(), 0);
  for (const pid of pids) t.same(ffmpegChildren(pid), []);
});
