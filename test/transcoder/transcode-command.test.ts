// `node dist/transcoder.js transcode INPUT OUTDIR` as a real process on generated clips.
import t from 'tap';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import { avcProfileIdc } from '../../src/transcoder/avc-codec';
import { ffprobe, makeClip, runTranscoder, SMALL_LADDER, tempDir } from './harness';

const ENV = { LADDER: SMALL_LADDER, LADDER_360: SMALL_LADDER, SEGMENT_SECONDS: '2' };

function mediaPlaylist(dir: string, uri: string): any {
  return parse(readFileSync(join(dir, uri), 'utf8'));
}

async function checkAsset(t: any, out: string, source: { width: number; height: number; seconds: number; fps: number }) {
  const master = parse(readFileSync(join(out, 'MANIFEST.M3U8'), 'utf8')) as any;
  t.equal(master.isMasterPlaylist, true, 'MANIFEST.M3U8 is a master playlist');
  const videoVariants = master.variants.filter((v: any) => v.resolution);
  const audioOnly = master.variants.filter((v: any) => !v.resolution);
  t.ok(videoVariants.length >= 2, `${videoVariants.length} video variants`);
  t.equal(audioOnly.length, 1, 'one audio-only variant');
  t.equal(audioOnly[0].codecs, 'mp4a.40.2');

  const audioUri = master.variants[0].audio[0].uri;
  const audioPl = mediaPlaylist(out, audioUri);
  const audioBytes = audioPl.segments.reduce((n: number, s: any) => n + statSync(join(out, audioUri, '..', s.uri)).size, 0);
  const audioSeconds = audioPl.segments.reduce((n: number, s: any) => n + s.duration, 0);

  const durationLists: number[][] = [];
  for (const v of videoVariants) {
    const { width, height } = v.resolution;
    t.ok(width <= source.width && height <= source.height, `${width}x${height} is not upscaled`);
    t.ok(Math.abs(width / height - source.width / source.height) < 0.01, `${width}x${height} keeps the source aspect`);
    t.equal(width % 2 + (height % 2), 0, 'even sizes');

    const playlist = mediaPlaylist(out, v.uri);
    t.equal(playlist.endlist, true);
    durationLists.push(playlist.segments.map((s: any) => Number(s.duration.toFixed(3))));
    const probed = await ffprobe(join(out, v.uri));
    const vs = probed.streams.find((s: any) => s.codec_type === 'video');
    t.ok(Math.abs(Number(probed.format.duration) - source.seconds) < 0.5, `${v.uri} lasts ${probed.format.duration}s`);
    t.equal(`${vs.width}x${vs.height}`, `${width}x${height}`, 'RESOLUTION is what ffprobe reads');
    const [videoCodec, audioCodec] = v.codecs.split(',');
    t.equal(audioCodec, 'mp4a.40.2');
    t.equal(parseInt(videoCodec.slice(5, 7), 16), avcProfileIdc(vs.profile), `CODECS profile matches ffprobe's ${vs.profile}`);
    t.equal(parseInt(videoCodec.slice(9, 11), 16), vs.level, 'CODECS level matches ffprobe');
    t.equal(v.frameRate, source.fps, 'FRAME-RATE');

    const videoBytes = playlist.segments.reduce((n: number, s: any) => n + statSync(join(out, v.uri, '..', s.uri)).size, 0);
    const videoSeconds = playlist.segments.reduce((n: number, s: any) => n + s.duration, 0);
    const expected = (videoBytes * 8) / videoSeconds + (audioBytes * 8) / audioSeconds;
    t.ok(Math.abs(v.averageBandwidth - expected) / expected < 0.01, `AVERAGE-BANDWIDTH ${v.averageBandwidth} ~ ${Math.round(expected)} from the files`);
    t.ok(v.bandwidth >= v.averageBandwidth, 'BANDWIDTH (peak) >= AVERAGE-BANDWIDTH');
    const peakSegment = Math.max(...playlist.segments.map((s: any) => (statSync(join(out, v.uri, '..', s.uri)).size * 8) / s.duration));
    t.ok(v.bandwidth >= peakSegment, 'BANDWIDTH covers the largest video segment');
  }
  t.ok(durationLists.every((d) => JSON.stringify(d) === JSON.stringify(durationLists[0])), `segment durations equal across renditions: ${JSON.stringify(durationLists[0])}`);
  t.ok(durationLists[0].length >= 3, 'several segments');
  return { master, videoVariants };
}

t.test('a 2:1 equirectangular clip: master and renditions capped at the source, 2:1 kept, keyframes aligned', async (t) => {
  const dir = tempDir(t, 'cmd21');
  const input = await makeClip(join(dir, 'equi.mp4'), { width: 640, height: 320, seconds: 8, fps: 24 });
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], ENV);
  t.equal(r.code, 0, r.stderr);
  const { videoVariants } = await checkAsset(t, out, { width: 640, height: 320, seconds: 8, fps: 24 });
  t.same(videoVariants.map((v: any) => `${v.resolution.width}x${v.resolution.height}`), ['320x160', '640x320'], 'the 1280x720 rung is not used');
});

t.test('a 16:9 clip keeps 16:9', async (t) => {
  const dir = tempDir(t, 'cmd169');
  const input = await makeClip(join(dir, 'flat.mp4'), { width: 640, height: 360, seconds: 6, fps: 30 });
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], ENV);
  t.equal(r.code, 0, r.stderr);
  const { videoVariants } = await checkAsset(t, out, { width: 640, height: 360, seconds: 6, fps: 30 });
  t.same(videoVariants.map((v: any) => `${v.resolution.width}x${v.resolution.height}`), ['320x180', '640x360']);
});

t.test('CUBEMAP=1 adds a 3x2 cubemap set in its own master', async (t) => {
  const dir = tempDir(t, 'cube');
  const input = await makeClip(join(dir, 'equi.mp4'), { width: 640, height: 320, seconds: 4, fps: 24 });
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], { ...ENV, CUBEMAP: '1' });
  t.equal(r.code, 0, r.stderr);
  const cube = parse(readFileSync(join(out, 'MANIFEST_CUBEMAP.M3U8'), 'utf8')) as any;
  const sizes = cube.variants.filter((v: any) => v.resolution).map((v: any) => `${v.resolution.width}x${v.resolution.height}`);
  t.same(sizes, ['240x160', '480x320'], '3x2 faces of a quarter of the equirect width');
  const probed = await ffprobe(join(out, cube.variants[1].uri));
  t.equal(probed.streams[0].width, 480);
  t.match(probed.streams[0].side_data_list, [{ side_data_type: 'Stereo 3D', type: '2D' }, { side_data_type: 'Spherical Mapping', projection: 'cubemap' }], 'cubemap renditions carry cbmp');
  t.same(JSON.parse(readFileSync(join(out, 'MANIFEST_CUBEMAP.json'), 'utf8')), { layout: { projection: 'cubemap', stereo: 'mono' } }, 'the JSON beside the cubemap master');
  t.same(JSON.parse(readFileSync(join(out, 'MANIFEST.json'), 'utf8')), { layout: { projection: 'equirect', stereo: 'mono' } }, 'the JSON beside the main master');
  const main = readFileSync(join(out, 'MANIFEST.M3U8'), 'utf8');
  t.notMatch(main, /cube-/, 'the main master lists no cubemap');
});

t.test('bad input: a clear error and exit code 1, for corrupt, zero-byte, video-only and playlist sources', async (t) => {
  const dir = tempDir(t, 'bad');
  const corrupt = join(dir, 'corrupt.mp4');
  const good = await makeClip(join(dir, 'good.mp4'), { width: 320, height: 160, seconds: 2 });
  const bytes = readFileSync(good);
  require('node:fs').writeFileSync(corrupt, Buffer.concat([Buffer.from('this is not an mp4 at all'), bytes.subarray(bytes.length / 2)]));
  require('node:fs').writeFileSync(join(dir, 'empty.mp4'), '');
  const playlist = join(dir, 'list.mp4');
  require('node:fs').writeFileSync(playlist, `#EXTM3U\n#EXTINF:2,\n${good}\n#EXT-X-ENDLIST\n`);
  const videoOnly = await makeClip(join(dir, 'silent.mp4'), { width: 320, height: 160, seconds: 2, audio: false });
  for (const [file, why] of [
    [corrupt, /source .*corrupt\.mp4 refused: its content is (a text file|unknown bytes)/],
    [playlist, /source .*list\.mp4 refused: its content is an HLS playlist/],
    [join(dir, 'empty.mp4'), /corrupt or unreadable media: .*empty\.mp4/],
    [videoOnly, /video-only source/],
  ] as const) {
    const r = await runTranscoder(['transcode', file, join(dir, 'out')], ENV);
    t.equal(r.code, 1, `${file} fails`);
    t.match(r.stderr, why);
  }
  t.notOk(readdirSync(dir).includes('out') && readdirSync(join(dir, 'out')).includes('MANIFEST.M3U8'), 'no master for a failed job');
  const usage = await runTranscoder(['transcode', good], ENV);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /usage: node dist\/transcoder.js transcode INPUT OUTDIR/);
});

t.test('PARALLEL_CHUNKS: GOP-aligned chunks encoded at once are stitched into one continuous playlist per rendition', async (t) => {
  const dir = tempDir(t, 'chunks');
  const fps = 30;
  const input = await makeClip(join(dir, 'flat.mp4'), { width: 640, height: 360, seconds: 10, fps });
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], { ...ENV, PARALLEL_CHUNKS: '3', MIN_CHUNK_SECONDS: '2', LOG_LEVEL: 'debug' });
  t.equal(r.code, 0, r.stderr);
  const planned = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'transcode planned');
  t.equal(planned.chunks, 3, 'three chunks: 0-4 s, 4-8 s, 8 s to the end');
  t.equal((r.stdout.match(/"msg":"ffmpeg started"/g) ?? []).length, 4, 'one ffmpeg run per chunk and one for the audio');
  const { videoVariants } = await checkAsset(t, out, { width: 640, height: 360, seconds: 10, fps });
  t.notOk(readdirSync(out).includes('.chunks'), 'chunk scratch removed');
  for (const v of videoVariants) {
    const playlist = mediaPlaylist(out, v.uri);
    t.same(playlist.segments.map((s: any) => s.duration), [2, 2, 2, 2, 2], `${v.uri}: five 2 s segments`);
    const probed = await ffprobe(join(out, v.uri), ['-select_streams', 'v', '-show_entries', 'packet=pts_time,flags']);
    const pts = probed.packets.map((p: any) => Number(p.pts_time)).sort((a: number, b: number) => a - b);
    t.equal(pts.length, 10 * fps, `${v.uri}: every frame once (no frame lost or doubled at chunk boundaries)`);
    const steps = pts.slice(1).map((p: number, i: number) => p - pts[i]);
    t.ok(steps.every((d: number) => Math.abs(d - 1 / fps) < 1e-3), `${v.uri}: timestamps advance one frame at a time across chunks`);
    for (const s of playlist.segments) {
      // An fMP4 segment is read with the init segment it maps.
      const file = join(dir, 'probe.mp4');
      writeFileSync(file, Buffer.concat([readFileSync(join(out, v.uri, '..', s.map.uri)), readFileSync(join(out, v.uri, '..', s.uri))]));
      const seg = await ffprobe(file, ['-select_streams', 'v', '-show_entries', 'packet=flags', '-read_intervals', '%+#1']);
      t.match(seg.packets[0].flags, /K/, `${v.uri} ${s.uri} starts on a keyframe`);
    }
  }
  const audio = await ffprobe(join(out, 'audio', 'index.m3u8'));
  t.ok(Math.abs(Number(audio.format.duration) - 10) < 0.2, `audio lasts ${audio.format.duration}s`);
  const stitched = readFileSync(join(out, videoVariants[0].uri), 'utf8');
  t.equal((stitched.match(/#EXT-X-MAP:/g) ?? []).length, 1, 'the chunks wrote identical init segments: one EXT-X-MAP');
});

t.test('VOD_FORMAT=ts keeps MPEG-TS segments (and the JSON beside the master)', async (t) => {
  const dir = tempDir(t, 'ts');
  const input = await makeClip(join(dir, 'equi.mp4'), { width: 640, height: 320, seconds: 6, fps: 24 });
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], { ...ENV, VOD_FORMAT: 'ts' });
  t.equal(r.code, 0, r.stderr);
  const { videoVariants } = await checkAsset(t, out, { width: 640, height: 320, seconds: 6, fps: 24 });
  t.match(readFileSync(join(out, videoVariants[0].uri), 'utf8'), /seg_00000\.ts/);
  t.same(JSON.parse(readFileSync(join(out, 'MANIFEST.json'), 'utf8')), { layout: { projection: 'equirect', stereo: 'mono' } });
  const refused = await runTranscoder(['transcode', input, join(dir, 'out2')], { ...ENV, VOD_FORMAT: 'ts', VOD_CODECS: 'h264,hevc' });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /VOD_CODECS=hevc needs VOD_FORMAT=fmp4/);
});
