import t from 'tap';
import { planChunks } from '../../src/transcoder/chunk-plan';
import { autoParallelChunks } from '../../src/transcoder/config';
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
