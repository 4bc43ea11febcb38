import t from 'tap';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { skippableSegments, writeLivePlaylist, type LivePlaylistState, type PlaylistSegment } from '../../../src/origin/packager/media-playlist';
import { blockingDecision, parseDirectives } from '../../../src/origin/packager/blocking-request';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);
const segment = (msn: number, extra: Partial<PlaylistSegment> = {}): PlaylistSegment => ({
  msn,
  duration: 2,
  uri: `${msn}.m4s`,
  mapUri: 'init-0.mp4',
  discontinuity: false,
  programDateTime: at(msn * 2),
  parts: Array.from({ length: 10 }, (_, i) => ({ duration: 0.2, uri: `${msn}.${i}.m4s`, independent: i === 0 })),
  ...extra,
});

const state = (segments: PlaylistSegment[], extra: Partial<LivePlaylistState> = {}): LivePlaylistState => ({
  targetDuration: 2,
  partTarget: 0.2,
  discontinuitySequence: 0,
  segments,
  open: { msn: segments.length, mapUri: 'init-0.mp4', discontinuity: false, programDateTime: at(segments.length * 2), parts: [{ duration: 0.2, uri: `${segments.length}.0.m4s`, independent: true }] },
  preloadHint: `${segments.length}.1.m4s`,
  renditionReports: [{ uri: '../other/index.m3u8', lastMsn: 9, lastPart: 3 }],
  ended: false,
  ...extra,
});

t.test('parts only within three target durations of the end; rendition reports; hls-parser reads it all', async (t) => {
  const text = writeLivePlaylist(state([0, 1, 2, 3, 4].map((n) => segment(n))));
  const p = parse(text) as MediaPlaylist;
  t.same(p.segments.filter((s) => s.uri).map((s) => (s.parts ?? []).length), [0, 0, 0, 10, 10], 'parts of the last 6 s only');
  t.match(text, /#EXT-X-RENDITION-REPORT:URI="..\/other\/index.m3u8",LAST-MSN=9,LAST-PART=3\n$/);
  t.equal(p.renditionReports[0]!.lastPart, 3);
  t.match(text, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="5.1.m4s"/);
  const ended = writeLivePlaylist(state([0, 1].map((n) => segment(n)), { ended: true }));
  t.notMatch(ended, /PRELOAD-HINT|RENDITION-REPORT|SERVER-CONTROL/, 'an ended playlist promises nothing more');
  t.match(ended, /#EXT-X-ENDLIST\n$/);
});

t.test('a new init segment: discontinuity and a new map; a delta update never skips past a discontinuity', async (t) => {
  const segs = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => segment(n, n === 2 ? { discontinuity: true, mapUri: 'init-2.mp4' } : n > 2 ? { mapUri: 'init-2.mp4' } : {}));
  const full = writeLivePlaylist(state(segs));
  t.match(full, /1\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-2.mp4"/);
  t.equal(skippableSegments(state(segs), 12), 2, 'skipping stops before the discontinuity');
  const delta = parse(writeLivePlaylist(state(segs), { deltaUpdate: true })) as MediaPlaylist;
  t.equal(delta.skip, 2);
  const plain = segs.map((s) => ({ ...s, discontinuity: false, mapUri: 'init-0.mp4' }));
  t.equal(skippableSegments(state(plain), 12), 2, 'what ends at or before the skip boundary (12 s from the end)');
});

t.test('delivery directives and blocking decisions (6.2.5.2)', async (t) => {
  const q = (s: string) => parseDirectives(new URLSearchParams(s));
  t.same(q('_HLS_msn=5&_HLS_part=2'), { ok: true, directives: { msn: 5, part: 2, deltaUpdate: false } });
  t.same(q('_HLS_skip=YES'), { ok: true, directives: { deltaUpdate: true } });
  for (const bad of ['_HLS_part=1', '_HLS_msn=-1', '_HLS_msn=01', '_HLS_msn=1e3', '_HLS_msn=5&_HLS_part=x', '_HLS_skip=yes']) t.notOk(q(bad).ok, bad);
  const pos = { openMsn: 10, openParts: 3, partTarget: 0.2, ended: false };
  t.equal(blockingDecision({ msn: 9, deltaUpdate: false }, pos), 'ready', 'a complete segment');
  t.equal(blockingDecision({ msn: 10, deltaUpdate: false }, pos), 'wait', 'the open segment is not complete');
  t.equal(blockingDecision({ msn: 10, part: 2, deltaUpdate: false }, pos), 'ready');
  t.equal(blockingDecision({ msn: 10, part: 3, deltaUpdate: false }, pos), 'wait', 'the next part');
  t.equal(blockingDecision({ msn: 11, deltaUpdate: false }, pos), 'wait', 'last + 2');
  t.equal(blockingDecision({ msn: 12, deltaUpdate: false }, pos), 'too-far', 'beyond last + 2');
  t.equal(blockingDecision({ msn: 10, part: 2 + 16, deltaUpdate: false }, pos), 'too-far', 'beyond the advance part limit (3 / 0.2 = 15 parts)');
  t.equal(blockingDecision({ msn: 10, part: 2 + 15, deltaUpdate: false }, pos), 'wait', 'at the advance part limit');
  t.equal(blockingDecision({ msn: 50, deltaUpdate: false }, { ...pos, ended: true }), 'ready', 'an ended stream answers at once');
});
