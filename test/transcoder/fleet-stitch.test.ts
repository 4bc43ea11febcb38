import t from 'tap';
import { isScError } from '../../src/shared/errors';
import { writeMediaPlaylist } from '../../src/shared/hls-playlist';
import { fleetChunks } from '../../src/transcoder/fleet-job';
import { fleetJobId, fleetKeys, initSegmentName } from '../../src/transcoder/fleet-keys';
import { fleetMeasuredRendition, fleetRenditionPlaylist, parseTaskResult, stitchAction, type TaskResult } from '../../src/transcoder/fleet-stitch';

const job = 'b'.repeat(32);
const seg = (n: number, duration = 2, bytes = 1000) => ({ uri: `seg_${String(n).padStart(5, '0')}.m4s`, duration, bytes });
const chunk = (first: number, count: number, init = 'init-0000000000000001.mp4', bytes = 1000): TaskResult => ({
  job,
  renditions: [{ name: '720p', kind: 'video', codec: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, init, segments: Array.from({ length: count }, (_, k) => seg(first + k, 2, bytes)) }],
});

t.test('stitch decision: done or taken by another delivery -> nothing; a result missing -> incomplete; else claim, and publish only when created (or redelivered)', async (t) => {
  t.equal(stitchAction({ done: true, missing: 0, redelivered: false }), 'nothing');
  t.equal(stitchAction({ done: true, missing: 0, published: 'created', redelivered: true }), 'nothing');
  t.equal(stitchAction({ done: false, missing: 1, redelivered: true }), 'incomplete');
  t.equal(stitchAction({ done: false, missing: 0, redelivered: false }), 'claim');
  t.equal(stitchAction({ done: false, missing: 0, published: 'created', redelivered: false }), 'publish');
  t.equal(stitchAction({ done: false, missing: 0, published: 'existed', redelivered: false }), 'nothing', 'a duplicate stitch while another publishes');
  t.equal(stitchAction({ done: false, missing: 0, published: 'existed', redelivered: true }), 'publish', 'the publisher died before done: its redelivery finishes');
});

t.test('chunk results -> one VOD playlist: segments numbered across the asset, the init listed once while it is the same', async (t) => {
  const playlist = fleetRenditionPlaylist([chunk(0, 2), chunk(2, 2), chunk(4, 1)], '720p');
  t.same(playlist.segments.map((s) => s.uri), ['seg_00000.m4s', 'seg_00001.m4s', 'seg_00002.m4s', 'seg_00003.m4s', 'seg_00004.m4s']);
  const text = writeMediaPlaylist(playlist);
  t.equal(text.match(/#EXT-X-MAP:/g)?.length, 1);
  t.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/);
  t.match(text, /#EXT-X-ENDLIST/);
  t.match(text, /#EXT-X-VERSION:6/);
  const changed = writeMediaPlaylist(fleetRenditionPlaylist([chunk(0, 2), chunk(2, 2, 'init-0000000000000002.mp4')], '720p'));
  t.equal(changed.match(/#EXT-X-MAP:/g)?.length, 2, 'a chunk with another init gets its own EXT-X-MAP');
  // The same results give the same bytes: a second stitch rewrites nothing new.
  t.equal(writeMediaPlaylist(fleetRenditionPlaylist([chunk(0, 2), chunk(2, 2), chunk(4, 1)], '720p')), text);
});

t.test('a last chunk that starts after the last frame (the audio ran longer) adds nothing; an empty first chunk is refused', async (t) => {
  const empty: TaskResult = { job, renditions: [{ name: '720p', kind: 'video', codec: 'none', segments: [] }] };
  t.same(fleetRenditionPlaylist([chunk(0, 2), chunk(2, 1), empty], '720p').segments.length, 3);
  t.throws(() => fleetRenditionPlaylist([empty, chunk(0, 2)], '720p'), /the first chunk has no segments/);
  t.same(parseTaskResult(JSON.stringify(empty), job), empty, 'an empty result reads back');
});

t.test('a gap, an overlap, a missing rendition or mixed init segments is refused, not stitched', async (t) => {
  const refused = (results: TaskResult[]): string => {
    try {
      fleetRenditionPlaylist(results, '720p');
    } catch (err) {
      if (isScError(err)) return err.message;
      throw err;
    }
    return 'stitched';
  };
  t.match(refused([chunk(0, 2), chunk(3, 2)]), /chunk 1 has seg_00003.m4s where seg_00002.m4s follows/, 'gap');
  t.match(refused([chunk(0, 2), chunk(1, 2)]), /chunk 1 has seg_00001.m4s where seg_00002.m4s follows/, 'overlap');
  t.match(refused([chunk(0, 2), { job, renditions: [{ ...chunk(2, 2).renditions[0], name: '1080p' }] }]), /result 1 has no rendition 720p/);
  const ts = { job, renditions: [{ ...chunk(2, 2).renditions[0], init: undefined, segments: [{ uri: 'seg_00002.ts', duration: 2, bytes: 1 }] }] };
  t.match(refused([chunk(0, 2), ts]), /init segments in some chunks only/);
});

t.test('the whole rendition is measured over every chunk: peak from the largest segment, average over all', async (t) => {
  const results = [chunk(0, 2, 'init-0000000000000001.mp4', 1000), chunk(2, 2, 'init-0000000000000001.mp4', 3000)];
  const m = fleetMeasuredRendition(results, '720p', fleetRenditionPlaylist(results, '720p'));
  t.same(m, { name: '720p', kind: 'video', codec: 'avc1.64001f', peakBandwidth: 12000, averageBandwidth: 8000, duration: 8, segments: 4, width: 1280, height: 720, frameRate: 30 });
});

t.test('results read back from the store are bounded and checked', async (t) => {
  const good = chunk(0, 2);
  t.same(parseTaskResult(JSON.stringify(good), job), good);
  const bad = (doc: unknown): string => {
    try {
      parseTaskResult(typeof doc === 'string' ? doc : JSON.stringify(doc), job);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  t.match(bad('{'), /not JSON/);
  t.match(bad({ ...good, job: 'c'.repeat(32) }), /not a result of this job/);
  t.match(bad({ job, renditions: [] }), /renditions/);
  t.match(bad({ job, renditions: [{ ...good.renditions[0], name: '../x' }] }), /rendition 0 name/);
  t.match(bad({ job, renditions: [{ ...good.renditions[0], segments: [{ uri: 'a/b.m4s', duration: 2, bytes: 1 }] }] }), /segment 0 uri/);
  t.match(bad({ job, renditions: [{ ...good.renditions[0], segments: [{ uri: 'a.m4s', duration: -2, bytes: 1 }] }] }), /segment 0 duration/);
  t.match(bad({ job, renditions: [{ ...good.renditions[0], segments: Array(86_401).fill(seg(0)) }] }), /segments/);
  t.match(bad(' '.repeat(8 * 1024 * 1024 + 1)), /over 8388608 bytes/);
});

t.test('fleet chunks: CHUNK_SECONDS or more each (whole segments; the last may be shorter), else one job', async (t) => {
  t.same(fleetChunks(16, 2, 4).map((c) => [c.start, c.duration]), [[0, 4], [4, 4], [8, 4], [12, undefined]]);
  t.same(fleetChunks(7, 2, 4).map((c) => [c.start, c.duration]), [[0, 4], [4, undefined]], 'a shorter last chunk');
  t.equal(fleetChunks(5, 2, 4).length, 1, 'three segments hold one chunk of two: the single-job path');
  t.equal(fleetChunks(600, 10, 0).length, 1, 'CHUNK_SECONDS=0: never');
  t.equal(fleetChunks(undefined, 10, 60).length, 1, 'no duration: one job');
  const long = fleetChunks(7200, 10, 120);
  t.equal(long.length, 60, 'two hours in 120 s chunks');
  t.ok(long.every((c) => c.start % 10 === 0), 'every chunk starts on a segment boundary');
});

t.test('job ids and keys: one per S3 event (its redeliveries included), under the asset', async (t) => {
  const source = { bucket: 'b', key: 'recordings/a.mp4', size: 10, etag: 'ab' };
  const id = fleetJobId(source, '2026-01-01T00:00:00.000Z');
  t.match(id, /^[0-9a-f]{32}$/);
  t.equal(fleetJobId(source, '2026-01-01T00:00:00.000Z'), id, 'the same event, the same job');
  t.not(fleetJobId({ ...source, etag: 'cd' }, '2026-01-01T00:00:00.000Z'), id, 'a new upload to the key, a new job');
  const keys = fleetKeys('a', id);
  t.equal(keys.chunkResult(3), `a/.fleet/${id}/chunk-00003.json`);
  t.equal(keys.plan, `a/.fleet/${id}/job.json`);
  t.equal(initSegmentName(Buffer.from('x')), initSegmentName(Buffer.from('x')), 'equal inits share a name');
  t.not(initSegmentName(Buffer.from('x')), initSegmentName(Buffer.from('y')));
});
