// The instant VOD's pieces on real files: the journal (a bounded parser, fuzzed), the VOD playlist
// (discontinuities where the init segment changes), ladder replacement, the size bound, the
// retention sweep and the finishing of what a crash left.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { ManualClock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { seededRandom } from '../../src/loadtest/think-time';
import { journalLine, parseJournal, type JournalSegment } from '../../src/origin/instant-vod/vod-journal';
import { vodPlaylistText } from '../../src/origin/instant-vod/vod-playlist';
import { replacingLadder } from '../../src/origin/instant-vod/ladder-replacement';
import { InstantVodLibrary } from '../../src/origin/instant-vod/instant-vod-library';

const log = createLogger({ name: 'test', level: 'silent' });
const seg = (msn: number, init = 'init-0.mp4', duration = 2): JournalSegment => ({ msn, duration, init, pdt: 1_700_000_000_000 + msn * 2000, bytes: 1000 });

function tempDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sc-ivod-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the journal reads back what was written; a torn or bad line is skipped', async (t) => {
  const lines = [seg(3), seg(4), seg(5, 'init-5.mp4')].map(journalLine).join('');
  t.same(parseJournal(lines), [seg(3), seg(4), seg(5, 'init-5.mp4')]);
  t.same(parseJournal(lines + journalLine(seg(6)).slice(0, 20)), [seg(3), seg(4), seg(5, 'init-5.mp4')], 'a torn last line (a crash mid-append)');
  const bad = [
    '{"msn":-1,"duration":2,"init":"init-0.mp4","pdt":1,"bytes":1}',
    '{"msn":7,"duration":0,"init":"init-0.mp4","pdt":1,"bytes":1}',
    '{"msn":7,"duration":2,"init":"../../etc/passwd","pdt":1,"bytes":1}',
    '{"msn":7,"duration":2,"init":"init-0.mp4","pdt":"x","bytes":1}',
    '{"msn":4,"duration":2,"init":"init-0.mp4","pdt":1,"bytes":1}',
    `{"msn":8,"pad":"${'x'.repeat(600)}","duration":2,"init":"init-0.mp4","pdt":1,"bytes":1}`,
    'null',
    '[1,2]',
  ].join('\n');
  t.same(parseJournal(`${lines}${bad}\n`).map((s) => s.msn), [3, 4, 5], 'invalid, out-of-order and overlong lines are skipped');
});

t.test('fuzz: mutated journals never throw and yield only valid, increasing segments', async (t) => {
  const random = seededRandom(20261126);
  const base = Buffer.from(Array.from({ length: 20 }, (_, i) => journalLine(seg(i, `init-${i < 10 ? 0 : 10}.mp4`))).join(''));
  let cases = 0;
  for (; cases < 2000; cases++) {
    const b = Buffer.from(base);
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips; i++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
    const out = parseJournal(b.toString('latin1'));
    for (let i = 0; i < out.length; i++) {
      const s = out[i]!;
      if (!(Number.isSafeInteger(s.msn) && s.duration > 0 && /^init-\d+\.mp4$/.test(s.init) && (i === 0 || s.msn > out[i - 1]!.msn))) {
        t.fail(`case ${cases}: ${JSON.stringify(s)}`);
        return;
      }
    }
  }
  t.equal(cases, 2000, 'seed 20261126');
});

t.test('the VOD playlist: every segment, its map, a discontinuity where the codec configuration changed', async (t) => {
  const text = vodPlaylistText([seg(7), seg(8), seg(9, 'init-9.mp4', 2.6), seg(10, 'init-9.mp4')]);
  const p = parse(text) as MediaPlaylist;
  t.equal(p.playlistType, 'VOD');
  t.equal(p.endlist, true);
  t.equal(p.mediaSequenceBase, 7);
  t.equal(p.targetDuration, 3, 'the longest EXTINF, rounded');
  t.same(p.segments.map((s) => s.uri), ['7.m4s', '8.m4s', '9.m4s', '10.m4s']);
  t.same(p.segments.map((s) => !!s.discontinuity), [false, false, true, false]);
  t.same(p.segments.map((s) => s.map?.uri), ['init-0.mp4', 'init-0.mp4', 'init-9.mp4', 'init-9.mp4']);
  t.notMatch(text, /PART|PRELOAD|SERVER-CONTROL/, 'no LL-HLS tags in a VOD');
});

t.test('a ladder replaces an instant VOD when one of its recording parts was transcoded', async (t) => {
  const start = 1_700_000_000_400;
  const end = start + 60_000;
  t.equal(replacingLadder('talk', start, end, ['talk-1700000000']), 'talk-1700000000', 'the first part (same second)');
  t.equal(replacingLadder('talk', start, end, ['talk-1700000031']), 'talk-1700000031', 'a later part');
  t.equal(replacingLadder('talk', start, end, ['talk-1699999999', 'talk-1700000062', 'talk-x-1700000001', 'talks-1700000001', 'talk-1700000001~abc']), undefined, 'another publish or another name');
});

/** A variant folder as the live packager leaves it: init and segment files. */
function variant(dir: string, msns: number[], size = 1000): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'init-0.mp4'), Buffer.alloc(100));
  for (const n of msns) writeFileSync(join(dir, `${n}.m4s`), Buffer.alloc(size, n));
}

const packaged = (msn: number) => ({ msn, duration: 2, initUri: 'init-0.mp4', programDateTime: new Date(1_700_000_000_000 + msn * 2000), bytes: 1000 });

t.test('writer and library: a finished VOD is listed; past INSTANT_VOD_MAX_SIZE the oldest segments go', async (t) => {
  const root = tempDir(t);
  const clock = new ManualClock();
  const lib = new InstantVodLibrary({ dir: join(root, 'vod-live'), maxBytes: 3100, retentionMs: 3_600_000, replacedGraceMs: 900_000, clock, log });
  await lib.start();
  t.teardown(() => lib.close());
  const live = join(root, 'hls', 'cam_1280');
  variant(live, [0, 1, 2, 3, 4]);
  const w = lib.writer('cam');
  await w.start();
  for (let i = 0; i < 5; i++) await w.add(packaged(i), live);
  t.same(await lib.listed(), [], 'not listed while the publish runs');
  clock.advance(10_000);
  const meta = await w.finish();
  lib.released(w);
  t.match(meta, { name: 'cam', segments: 3, duration: 6 }, 'three segments fit in 3100 bytes with the init segment');
  const listed = await lib.listed();
  t.equal(listed.length, 1);
  t.equal(listed[0]!.master, `/vod-live/cam/${clock.now() - 10_000}/index.m3u8`);
  const p = parse(readFileSync(join(listed[0]!.dir, 'index.m3u8'), 'utf8')) as MediaPlaylist;
  t.same(p.segments.map((s) => s.uri), ['2.m4s', '3.m4s', '4.m4s'], 'the latest segments are kept');
  t.notOk(existsSync(join(listed[0]!.dir, '0.m4s')), 'dropped segments leave the disk');
  // The live folder's retention deleting its copies does not touch the VOD's.
  rmSync(live, { recursive: true });
  t.equal(readFileSync(join(listed[0]!.dir, '4.m4s'))[0], 4);

  const again = lib.writer('cam');
  await again.start();
  t.not(again.dir, listed[0]!.dir, 'a republish of the name gets its own folder');
  t.same(await again.finish(), undefined, 'a publish with no segment leaves nothing');
  t.notOk(existsSync(again.dir));
});

t.test('sweep: replaced VODs leave the listing at once and the disk once watched out; others after the retention', async (t) => {
  const root = tempDir(t);
  const ladders = join(root, 'egress');
  mkdirSync(ladders);
  const clock = new ManualClock(Date.now());
  const lib = new InstantVodLibrary({ dir: join(root, 'vod-live'), ladderDir: ladders, maxBytes: 1e9, retentionMs: 3_600_000, replacedGraceMs: 60_000, clock, log });
  await lib.start();
  t.teardown(() => lib.close());
  const live = join(root, 'hls', 'x_1280');
  variant(live, [0, 1]);
  const vods = [];
  for (const name of ['a', 'b']) {
    const w = lib.writer(name);
    await w.start();
    await w.add(packaged(0), live);
    await w.add(packaged(1), live);
    clock.advance(4000);
    vods.push(await w.finish());
    lib.released(w);
  }
  t.same((await lib.listed()).map((e) => e.name), ['b', 'a']);
  // The transcoder finishes a's ladder: a leaves the listing, its files stay for viewers already in it.
  const ladder = join(ladders, `a-${Math.floor(vods[0]!.startedAt / 1000)}`);
  mkdirSync(ladder);
  t.same((await lib.listed()).map((e) => e.name), ['b', 'a'], 'a ladder folder without its master does not count');
  writeFileSync(join(ladder, 'MANIFEST.M3U8'), '#EXTM3U\n');
  t.same((await lib.listed()).map((e) => e.name), ['b']);
  await lib.sweep();
  t.equal((await lib.all()).length, 2, 'nothing deleted yet');
  // Its duration (4 s) plus the grace (60 s) after the ladder appeared, it goes.
  const ladderAt = (Date.now() - 70_000) / 1000;
  utimesSync(join(ladder, 'MANIFEST.M3U8'), ladderAt, ladderAt);
  await lib.sweep();
  t.same((await lib.all()).map((e) => e.name), ['b']);
  t.notOk(existsSync(join(root, 'vod-live', 'a')), 'the name folder goes with its last VOD');
  clock.advance(3_600_000);
  await lib.sweep();
  t.same(await lib.all(), [], 'past INSTANT_VOD_RETENTION');
});

t.test('a restart finishes what a crash left from its journal, and lists it', async (t) => {
  const root = tempDir(t);
  const clock = new ManualClock();
  const opts = { dir: join(root, 'vod-live'), maxBytes: 1e9, retentionMs: 3_600_000, replacedGraceMs: 60_000, clock, log };
  const first = new InstantVodLibrary(opts);
  await first.start();
  const live = join(root, 'hls', 'c_1280');
  variant(live, [5, 6, 7]);
  const w = first.writer('c');
  await w.start();
  for (const n of [5, 6, 7]) await w.add(packaged(n), live);
  first.close(); // killed: finish() never ran
  t.notOk(existsSync(join(w.dir, 'index.m3u8')));
  const empty = join(root, 'vod-live', 'c', '123');
  mkdirSync(empty);
  const second = new InstantVodLibrary(opts);
  await second.start();
  t.teardown(() => second.close());
  const listed = await second.listed();
  t.equal(listed.length, 1);
  const p = parse(readFileSync(join(w.dir, 'index.m3u8'), 'utf8')) as MediaPlaylist;
  t.same(p.segments.map((s) => s.uri), ['5.m4s', '6.m4s', '7.m4s']);
  t.equal(p.endlist, true);
  t.notOk(existsSync(empty), 'a folder with nothing in it is removed');
});
