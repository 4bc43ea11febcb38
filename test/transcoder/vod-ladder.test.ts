// The VOD ladder that fits the source, through `node dist/transcoder.js transcode` on generated clips: per-title
// pruning on a low-bitrate source, HEVC renditions, and the source's layout carried into every rendition's init
// segment and the JSON beside the master.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import { Registry } from 'prom-client';
import { sphericalBoxes } from '../../src/shared/mp4/spherical-boxes';
import { withSampleEntryBoxes } from '../../src/shared/mp4/sample-entry-boxes';
import { layoutFromSideData } from '../../src/transcoder/source-layout';
import { TranscoderMetrics } from '../../src/transcoder/transcoder-metrics';
import { ffprobe, makeClip, runTranscoder, tempDir } from './harness';

const logLines = (stdout: string): any[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

t.test('pruning on a low-bitrate source: rungs capped to the same bits are left out, logged and listed', async (t) => {
  const dir = tempDir(t, 'prune');
  const input = join(dir, 'low.mp4');
  // A 640x360 recording at about 150 kbit/s: every rung's bitrate is capped at it.
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=24', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '150k', '-maxrate', '150k', '-bufsize', '300k', '-c:a', 'aac', input]);
  const ladder = JSON.stringify([{ width: 320, height: 180, bitrate: '300k' }, { width: 480, height: 270, bitrate: '500k' }, { width: 640, height: 360, bitrate: '800k' }, { audio: '64k' }]);
  const out = join(dir, 'out');
  const r = await runTranscoder(['transcode', input, out], { LADDER: ladder, SEGMENT_SECONDS: '2' });
  t.equal(r.code, 0, r.stderr);
  const logs = logLines(r.stdout);
  const planned = logs.find((l) => l.msg === 'transcode planned');
  t.equal(planned.renditions.length, 1, `one rendition left: ${planned.renditions}`);
  t.match(planned.renditions[0], /^360p 640x360 h264 1\d\dk$/);
  const pruned = logs.find((l) => /^ladder pruned: 2 rung\(s\) left out/.test(l.msg));
  t.ok(pruned, 'the job log says what was pruned');
  t.same(pruned.pruned.map((p: any) => `${p.width}x${p.height}`), ['480x270', '320x180']);
  const master = parse(readFileSync(join(out, 'MANIFEST.M3U8'), 'utf8')) as any;
  t.same(master.variants.filter((v: any) => v.resolution).map((v: any) => v.uri), ['360p/index.m3u8']);

  const off = await runTranscoder(['transcode', input, join(dir, 'off')], { LADDER: ladder, SEGMENT_SECONDS: '2', LADDER_PRUNE: '0' });
  t.equal(logLines(off.stdout).find((l) => l.msg === 'transcode planned').renditions.length, 3, 'LADDER_PRUNE=0 keeps every rung');
});

t.test('the pruned-rungs counter', async (t) => {
  const registry = new Registry();
  const m = new TranscoderMetrics(registry);
  m.prunedRungs(2);
  m.prunedRungs(0);
  t.match(await registry.metrics(), /spherecast_transcoder_pruned_rungs_total 2\n/);
});

t.test('VOD_CODECS=h264,hevc: HEVC renditions decode, carry hvc1 and are listed with their own CODECS', async (t) => {
  const dir = tempDir(t, 'hevc');
  const input = await makeClip(join(dir, 'flat.mp4'), { width: 320, height: 180, seconds: 4, fps: 24 });
  const out = join(dir, 'out');
  const ladder = JSON.stringify([{ width: 320, height: 180, bitrate: '300k' }, { audio: '64k' }]);
  const r = await runTranscoder(['transcode', input, out], { LADDER: ladder, SEGMENT_SECONDS: '2', VOD_CODECS: 'h264,hevc' });
  t.equal(r.code, 0, r.stderr);
  const master = parse(readFileSync(join(out, 'MANIFEST.M3U8'), 'utf8')) as any;
  const video = master.variants.filter((v: any) => v.resolution);
  t.same(video.map((v: any) => v.uri).sort(), ['180p-hevc/index.m3u8', '180p/index.m3u8']);
  const hevc = video.find((v: any) => v.uri.startsWith('180p-hevc'));
  t.match(hevc.codecs, /^hvc1\.1\.6\.L\d+\.[0-9A-F]+(\.[0-9A-F]+)*,mp4a\.40\.2$/, `CODECS ${hevc.codecs}`);
  const probed = await ffprobe(join(out, hevc.uri), ['-count_frames']);
  const v = probed.streams.find((s: any) => s.codec_type === 'video');
  t.equal(v.codec_name, 'hevc');
  t.equal(v.codec_tag_string, 'hvc1', 'hvc1 sample entry (parameter sets out of band)');
  t.equal(v.profile, 'Main');
  t.equal(Number(v.nb_read_frames), 4 * 24, 'every frame decodes');
  t.equal(Number(hevc.codecs.split('.')[3].slice(1)), v.level, 'the level in CODECS is the stream\'s');
  const h264 = await ffprobe(join(out, '180p', 'index.m3u8'));
  t.equal(h264.streams.find((s: any) => s.codec_type === 'video').codec_tag_string, 'avc1');
});

t.test('a recording with sv3d/st3d: its layout goes into every rendition and the JSON beside the master', async (t) => {
  const dir = tempDir(t, 'sv3d');
  const plain = join(dir, 'plain.mp4');
  // A recording as the origin writes it: fragmented MP4 whose sample entry carries the boxes.
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x320:rate=24', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '1M', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', plain]);
  const input = join(dir, 'rec.mp4');
  const layout = { projection: 'equirect180', stereo: 'side-by-side', view: { yaw: 30, pitch: -10 } } as const;
  writeFileSync(input, withSampleEntryBoxes(readFileSync(plain), sphericalBoxes(layout)));
  const out = join(dir, 'out');
  const ladder = JSON.stringify([{ width: 320, height: 160, bitrate: '200k' }, { width: 640, height: 320, bitrate: '500k' }, { audio: '64k' }]);
  const r = await runTranscoder(['transcode', input, out], { LADDER_360: ladder, SEGMENT_SECONDS: '2' });
  t.equal(r.code, 0, r.stderr);
  t.same(logLines(r.stdout).find((l) => l.msg === 'transcode planned').layout, layout, 'the layout is read from the recording');
  t.same(JSON.parse(readFileSync(join(out, 'MANIFEST.json'), 'utf8')), { layout: { projection: 'equirect180', stereo: 'side-by-side', yaw: 30, pitch: -10 } });
  const master = parse(readFileSync(join(out, 'MANIFEST.M3U8'), 'utf8')) as any;
  const video = master.variants.filter((v: any) => v.resolution);
  t.equal(video.length, 2);
  for (const v of video) {
    const s = (await ffprobe(join(out, v.uri))).streams.find((x: any) => x.codec_type === 'video');
    t.match(s.side_data_list, [{ side_data_type: 'Stereo 3D', type: 'side by side' }, { side_data_type: 'Spherical Mapping', projection: 'tiled equirectangular', yaw: 30, pitch: -10 }], `${v.uri}: spherical side data`);
  }
  const audio = (await ffprobe(join(out, 'audio', 'index.m3u8'))).streams[0];
  t.notOk(audio.side_data_list, 'the audio rendition is left alone');
});

t.test('layoutFromSideData: ffprobe side data to a layout, else the auto rule', async (t) => {
  const pic = { width: 640, height: 320 };
  t.same(layoutFromSideData(undefined, pic), { projection: 'equirect', stereo: 'mono' }, '2:1 without metadata: auto');
  t.same(layoutFromSideData([], { width: 640, height: 360 }), { projection: 'flat', stereo: 'mono' });
  t.same(layoutFromSideData([{ side_data_type: 'Stereo 3D', type: 'top and bottom' }], { width: 640, height: 640 }), { projection: 'flat', stereo: 'top-bottom' });
  t.same(
    layoutFromSideData([{ side_data_type: 'Spherical Mapping', projection: 'cubemap', yaw: 400, pitch: 'x' }, { side_data_type: 'Stereo 3D', type: '2D' }], pic),
    { projection: 'cubemap', stereo: 'mono', view: { yaw: 180, pitch: 0 } },
    'angles clamped, junk ignored',
  );
  t.same(layoutFromSideData([{ side_data_type: 'Spherical Mapping', projection: 'tiled equirectangular', bound_left: 320, bound_right: 320, bound_top: 0, bound_bottom: 0 }], pic).projection, 'equirect180');
  t.same(layoutFromSideData([{ side_data_type: 'Spherical Mapping', projection: 'tiled equirectangular', bound_left: 10, bound_right: 10 }], pic).projection, 'equirect');
  t.same(layoutFromSideData([{ side_data_type: 'Spherical Mapping', projection: 'something new' }, { side_data_type: 'Stereo 3D', type: 'checkerboard' }], { width: 640, height: 360 }), { projection: 'flat', stereo: 'mono' }, 'unknown values fall back');
});
