import t from 'tap';
import { planChunks } from '../../src/transcoder/chunk-plan';
import { parseMediaPlaylist, writeMediaPlaylist } from '../../src/shared/hls-playlist';
import { autoParallelChunks, autoRungTuning } from '../../src/transcoder/config';
import { buildOutputArgs } from '../../src/transcoder/ffmpeg-hls-job';
import { DEFAULT_360_LADDER, planRenditions } from '../../src/transcoder/ladder';
import { parseRungTuning, tuningFor } from '../../src/transcoder/rung-tuning';
import { combinedProgress } from '../../src/transcoder/chunked-hls-job';
import { stitchedSegmentName, stitchPlaylists } from '../../src/transcoder/hls-stitch';

const spans = (chunks: ReturnType<typeof planChunks>) => chunks.map((c) => [c.start, c.duration ?? 'end']);

t.test('chunks start on segment boundaries, last whole segments, and all but the last have a length', async (t) => {
  t.same(spans(planChunks({ duration: 30, segmentSeconds: 10, parallel: 2, minChunkSeconds: 10 })), [[0, 20], [20, 'end']]);
  t.same(spans(planChunks({ duration: 30, segmentSeconds: 10, parallel: 3, minChunkSeconds: 10 })), [[0, 10], [10, 10], [20, 'end']]);
  t.same(spans(planChunks({ duration: 3600, segmentSeconds: 10, parallel: 4, minChunkSeconds: 10 })), [[0, 900], [900, 900], [1800, 900], [2700, 'end']]);
  t.same(spans(planChunks({ duration: 10.5, segmentSeconds: 2, parallel: 3, minChunkSeconds: 2 })), [[0, 4], [4, 4], [8, 'end']], '6 segments (the last partial) in 3 chunks');
  for (const c of planChunks({ duration: 977.3, segmentSeconds: 6, parallel: 7, minChunkSeconds: 30 })) {
    t.equal(c.start % 6, 0, `chunk ${c.index} starts on a segment boundary`);
    if (c.duration !== undefined) t.equal(c.duration % 6, 0, `chunk ${c.index} lasts whole segments`);
  }
});

t.test('never more chunks than parallel, none shorter than the minimum; short or unknown-length sources stay one run', async (t) => {
  t.equal(planChunks({ duration: 3600, segmentSeconds: 10, parallel: 8, minChunkSeconds: 10 }).length, 8);
  t.same(spans(planChunks({ duration: 30, segmentSeconds: 10, parallel: 8, minChunkSeconds: 15 })), [[0, 'end']], 'two 20 s chunks would be fine, three would not; 30 s / 2 chunks of >= 2 segments is not possible');
  t.same(spans(planChunks({ duration: 40, segmentSeconds: 10, parallel: 8, minChunkSeconds: 15 })), [[0, 20], [20, 'end']]);
  t.same(spans(planChunks({ duration: 9, segmentSeconds: 10, parallel: 4, minChunkSeconds: 1 })), [[0, 'end']], 'one segment');
  t.same(spans(planChunks({ duration: 600, segmentSeconds: 10, parallel: 1, minChunkSeconds: 10 })), [[0, 'end']], 'parallel 1');
  t.same(spans(planChunks({ duration: undefined, segmentSeconds: 10, parallel: 4, minChunkSeconds: 10 })), [[0, 'end']], 'duration unknown');
  t.same(spans(planChunks({ duration: 20.0004, segmentSeconds: 10, parallel: 4, minChunkSeconds: 10 })), [[0, 10], [10, 'end']], 'a rounding sliver is not a third segment');
});

t.test('stitching: segments renumbered in chunk order, durations kept, one VOD playlist', async (t) => {
  const part = (durations: number[]) => ({
    targetDuration: 10,
    mediaSequence: 0,
    endList: true,
    segments: durations.map((duration, i) => ({ uri: `seg_${String(i).padStart(5, '0')}.ts`, duration })),
  });
  const { playlist, moves } = stitchPlaylists([
    { dir: '/o/.chunks/0/720p', playlist: part([10, 10]) },
    { dir: '/o/.chunks/1/720p', playlist: part([10, 4.5]) },
  ]);
  t.same(playlist.segments.map((s) => [s.uri, s.duration]), [
    ['seg_00000.ts', 10],
    ['seg_00001.ts', 10],
    ['seg_00002.ts', 10],
    ['seg_00003.ts', 4.5],
  ]);
  t.same(moves.map((m) => [m.from, m.to]), [
    ['/o/.chunks/0/720p/seg_00000.ts', 'seg_00000.ts'],
    ['/o/.chunks/0/720p/seg_00001.ts', 'seg_00001.ts'],
    ['/o/.chunks/1/720p/seg_00000.ts', 'seg_00002.ts'],
    ['/o/.chunks/1/720p/seg_00001.ts', 'seg_00003.ts'],
  ]);
  t.equal(playlist.endList, true);
  t.equal(playlist.playlistType, 'VOD');
  t.equal(playlist.targetDuration, 10);
  t.notOk(playlist.segments.some((s) => 'discontinuity' in s), 'no discontinuity: timestamps continue across chunks');
  t.equal(stitchedSegmentName(12), 'seg_00012.ts');
  t.throws(() => stitchPlaylists([{ dir: '/x', playlist: { ...part([10]), endList: false } }]), /not finished/);
  t.throws(() => stitchPlaylists([{ dir: '/x', playlist: part([]) }]), /no segments/);
  t.throws(() => stitchPlaylists([{ dir: '/x', playlist: { ...part([10]), segments: [{ uri: '../evil.ts', duration: 10 }] } }]), /unexpected segment URI/);
});

t.test('progress of chunks running at once: seconds done summed (capped per chunk), speeds added', async (t) => {
  const chunks = planChunks({ duration: 30, segmentSeconds: 10, parallel: 2, minChunkSeconds: 10 });
  const latest = new Map([
    [0, { time: 12, speed: 0.5 }],
    [1, { time: 11, speed: 0.7 }],
  ]);
  // The last chunk (20..30) can have done at most 10 s, whatever ffmpeg's clock says.
  t.same(combinedProgress(chunks, latest, 30), { time: 22, speed: 1.2, percent: 73.3, etaSeconds: 7 });
  t.same(combinedProgress(chunks, new Map(), 30), { time: 0, speed: undefined, percent: 0, etaSeconds: undefined });
});

t.test('PARALLEL_CHUNKS=0: one chunk per 4 CPUs, at least one', async (t) => {
  t.same([1, 2, 3, 4, 7, 8, 16, 64].map(autoParallelChunks), [1, 1, 1, 1, 1, 2, 4, 16]);
});

t.test('stitching fMP4 chunks: init segments moved and mapped, an identical one not listed again', async (t) => {
  const part = (durations: number[], map: string) => ({
    targetDuration: 2,
    mediaSequence: 0,
    endList: true,
    segments: durations.map((duration, i) => ({ uri: `seg_${String(i).padStart(5, '0')}.m4s`, duration, map })),
  });
  const { playlist, moves } = stitchPlaylists([
    { dir: '/c/0/v', playlist: part([2, 2], 'init_0.mp4') },
    { dir: '/c/1/v', playlist: part([2], 'init_0.mp4'), initAsBefore: true },
    { dir: '/c/2/v', playlist: part([1], 'init_0.mp4'), initAsBefore: false },
  ]);
  t.same(moves, [
    { from: '/c/0/v/init_0.mp4', to: 'init_000.mp4' },
    { from: '/c/0/v/seg_00000.m4s', to: 'seg_00000.m4s' },
    { from: '/c/0/v/seg_00001.m4s', to: 'seg_00001.m4s' },
    { from: '/c/1/v/seg_00000.m4s', to: 'seg_00002.m4s' },
    { from: '/c/2/v/init_0.mp4', to: 'init_002.mp4' },
    { from: '/c/2/v/seg_00000.m4s', to: 'seg_00003.m4s' },
  ]);
  t.same(playlist.segments.map((s) => s.map), ['init_000.mp4', 'init_000.mp4', 'init_000.mp4', 'init_002.mp4']);
  t.equal(playlist.version, 6, 'EXT-X-MAP needs version 6');
  const text = writeMediaPlaylist(playlist);
  t.equal((text.match(/#EXT-X-MAP:URI="init_000.mp4"/g) ?? []).length, 1, 'a map is written where it changes');
  t.match(text, /#EXT-X-MAP:URI="init_002.mp4"\n#EXTINF:1.000,\nseg_00003.m4s/);
  t.same(parseMediaPlaylist(text).segments.map((s) => s.map), playlist.segments.map((s) => s.map), 'EXT-X-MAP parses back');
  t.throws(() => stitchPlaylists([{ dir: '/a', playlist: part([2], 'init.mp4') }, { dir: '/b', playlist: { ...part([2], 'x'), segments: [{ uri: 's.m4s', duration: 2 }] } }]), /init segments in some chunks only/);
  t.throws(() => stitchPlaylists([{ dir: '/a', playlist: part([2], '../init.mp4') }]), /unexpected segment URI/);
});

t.test('RUNG_TUNING: the first rule a rendition fits under; auto = one thread per CPU for every rung', async (t) => {
  const rules = parseRungTuning([{ maxPixels: 230400, threads: 1 }, { maxPixels: '1M', preset: 'faster' }]);
  t.same(tuningFor(rules, { width: 640, height: 360 }), { threads: 1 });
  t.same(tuningFor(rules, { width: 1280, height: 720 }), { preset: 'faster' });
  t.equal(tuningFor(rules, { width: 1920, height: 1080 }), undefined);
  t.same(tuningFor(autoRungTuning(2), { width: 320, height: 180 }), { threads: 2 });
  t.same(tuningFor(autoRungTuning(2), { width: 1920, height: 1080 }), { threads: 2 });
  t.same(tuningFor(autoRungTuning(1), { width: 1920, height: 1080 }), { threads: 1 });
  t.throws(() => parseRungTuning({}), /JSON array/);
  t.throws(() => parseRungTuning([{ maxPixels: 0 }]), /rule 1: maxPixels/);
  t.throws(() => parseRungTuning([{ maxPixels: 10, preset: 'warp' }]), /rule 1: preset/);
  t.throws(() => parseRungTuning([{ maxPixels: 10, threads: -1 }]), /threads/);
  t.throws(() => parseRungTuning([{ maxPixels: 10, thread: 1 }]), /unknown field "thread"/);
});

t.test('per-rung presets and threads, and HEVC, in the ffmpeg arguments', async (t) => {
  const plan = planRenditions({ width: 3840, height: 1920, fps: 30 }, DEFAULT_360_LADDER, { segmentSeconds: 2 });
  const rules = parseRungTuning([{ maxPixels: 854 * 480, threads: 1 }, { maxPixels: Number.MAX_SAFE_INTEGER, threads: 2 }]);
  const tuning = new Map(plan.video.map((r) => [r.name, tuningFor(rules, r) ?? {}]));
  const args = buildOutputArgs({ outDir: '/o', plan, preset: 'veryfast', threads: 0, tuning });
  const at = (k: string) => args[args.indexOf(k) + 1];
  const i640 = plan.video.findIndex((r) => r.width === 640);
  const iTop = plan.video.findIndex((r) => r.width === 3840);
  t.equal(at(`-threads:v:${i640}`), '1');
  t.equal(at(`-threads:v:${iTop}`), '2');
  t.equal(at(`-c:v:${iTop}`), 'libx265');
  t.equal(at(`-tag:v:${iTop}`), 'hvc1');
  t.match(at(`-x265-params:v:${iTop}`), /keyint=60:min-keyint=60:scenecut=0:open-gop=0/);
  t.equal(at(`-c:v:${i640}`), 'libx264');
  t.equal(at(`-preset:v:${i640}`), 'veryfast');
  t.equal(at('-hls_segment_type'), 'fmp4');
  t.notOk(args.includes('-hls_segment_options'), 'frag_discont only for offset chunk runs');
  const chunk = buildOutputArgs({ outDir: '/o', plan, preset: 'veryfast', threads: 0, streams: 'video', tsOffset: 20 });
  t.equal(chunk[chunk.indexOf('-hls_segment_options') + 1], 'movflags=+frag_discont');
});
