// Load tests against the real origin and edge with a real ffmpeg publish.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMediaPlaylist } from '../../src/shared/hls-playlist';
import { startEdgeProcess, type EdgeProcess } from '../edge/edge-harness';
import { publish, startOrigin, waitFor, type Origin } from '../origin/origin-harness';
import { chartsInBrowser, edgeStatus, originRequests, runInProcess, runProgram, tempDir } from './loadtest-harness';
import type { FetchedEvent } from '../../src/loadtest/media-fetcher';
import type { RunReport } from '../../src/loadtest/run-report';

let origin: Origin;
let edge: EdgeProcess;
// Reports that later tests read (the browser check, the comparison) live until the file ends.
let kept: string;
t.before(async () => {
  kept = tempDir(t);
  origin = await startOrigin(t, { HLS_FORMAT: 'ts', HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '5', RECORD: 'off' });
  edge = await startEdgeProcess(t, { ORIGINS: origin.url('') });
  publish(t, origin.rtmp('test'), { size: '320x180' });
  await waitFor('a live window of 3 segments', async () => {
    const r = await fetch(origin.url('/hls/test_1280/index.m3u8'));
    return r.ok && parseMediaPlaylist(await r.text()).segments.length >= 3 ? true : undefined;
  }, 40_000);
});

const byViewer = (trace: FetchedEvent[]) => {
  const m = new Map<number, FetchedEvent[]>();
  for (const e of trace) m.set(e.viewer, [...(m.get(e.viewer) ?? []), e]);
  return m;
};
const seqOf = (url: string) => Number(/\/(\d+)\.ts$/.exec(url)![1]);

t.test('a plan viewer fetches the master, then each variant, then that variant\'s segments, round after round', async (t) => {
  const out = tempDir(t);
  const { trace, report } = await runInProcess({ LOADTEST_HOST: origin.url(''), LOADTEST_THREADS: '2', LOADTEST_RAMPUP: '0.5', LOADTEST_DURATION: '3', LOADTEST_OUT: out });
  t.equal(report.totals.all.errors, 0);
  t.same(report.meta.layout, { projection: 'flat', stereo: 'mono' }, 'the layout from the JSON beside the master');
  const viewers = byViewer(trace);
  t.equal(viewers.size, 2, 'both viewers ran');
  for (const [id, events] of viewers) {
    t.equal(events[0].type, 'master', `viewer ${id} starts with the master`);
    t.equal(events[0].url, origin.url('/hls/test.m3u8'));
    let variant = '';
    let lastSeq = -1;
    let rounds = 0;
    for (const [i, e] of events.entries()) {
      const prev = events[i - 1]?.type;
      if (e.type === 'master') {
        t.ok(prev === undefined || prev === 'segment' || prev === 'variant', 'a new round starts after the previous one');
        rounds++;
      } else if (e.type === 'variant') {
        t.ok(prev === 'master' || prev === 'segment' || prev === 'variant', 'a variant follows the master or the previous variant');
        t.equal(e.url, origin.url('/hls/test_1280/index.m3u8'), 'the variant the master lists');
        variant = e.url;
        lastSeq = -1;
      } else {
        t.ok(variant && e.url.startsWith(variant.replace(/index\.m3u8$/, '')), `segment ${e.url} belongs to the variant fetched before it`);
        t.equal(lastSeq === -1 ? seqOf(e.url) : lastSeq + 1, seqOf(e.url), 'segments in playlist order');
        lastSeq = seqOf(e.url);
      }
      t.equal(e.status, 200);
    }
    t.ok(rounds >= 2, `viewer ${id} went round ${rounds} times`);
  }
});

t.test('a run\'s request counts are the origin\'s own counts', async (t) => {
  const before = await originRequests(origin.url(''));
  const { report } = await runInProcess({ LOADTEST_HOST: origin.url(''), LOADTEST_THREADS: '3', LOADTEST_RAMPUP: '1', LOADTEST_DURATION: '3', LOADTEST_OUT: tempDir(t) });
  const after = await originRequests(origin.url(''));
  t.ok(report.totals.segment.requests > 0);
  t.equal((after.playlist ?? 0) - (before.playlist ?? 0), report.totals.master.requests + report.totals.variant.requests, 'playlists');
  t.equal((after.segment ?? 0) - (before.segment ?? 0), report.totals.segment.requests, 'segments');
  t.same(report.totals.all.cache, { NONE: report.totals.all.requests }, 'the origin sends no cache status');
});

let planThroughEdge: string | undefined;
let playerThroughEdge: string | undefined;

t.test('the program runs through the edge, writes report.json and index.html, and its counts are the edge\'s', async (t) => {
  const out = join(kept, 'plan-edge');
  const before = await edgeStatus(edge.url);
  const run = await runProgram(t, ['--host', edge.url, '--threads', '3', '--rampup', '1', '--duration', '4', '--out', out, '--label', 'edge', '--think-delay', '0.2', '--think-deviation', '0.1', '--segment-pause', '0', '--progress-interval', '1']);
  const after = await edgeStatus(edge.url);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, /\[ +\d+s\/4s\] +viewers \d\/3/, 'progress lines on stderr');
  t.match(run.stdout, /load test edge: plan mode, 3 viewers/);
  const report: RunReport = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  t.ok(existsSync(join(out, 'index.html')));
  t.equal(report.totals.all.errors, 0);
  t.ok(report.totals.segment.requests > 0);
  // Before its viewers start, the program reads the stream's layout JSON once (for the report): one request more.
  t.equal(after.requests - before.requests, report.totals.all.requests + 1, 'requests');
  const cache = report.totals.all.cache;
  const seen = { HIT: after.hits - before.hits, MISS: after.misses - before.misses, EXPIRED: after.expired - before.expired };
  t.equal(seen.HIT + seen.MISS + seen.EXPIRED, (cache.HIT ?? 0) + (cache.MISS ?? 0) + (cache.EXPIRED ?? 0) + 1, 'cache statuses, with the layout request');
  for (const k of ['HIT', 'MISS', 'EXPIRED'] as const) t.ok(seen[k] - (cache[k] ?? 0) === 0 || seen[k] - (cache[k] ?? 0) === 1, `${k}: ${seen[k]} at the edge, ${cache[k] ?? 0} in the report`);
  t.ok((cache.HIT ?? 0) > 0, 'viewers after the first are served from the edge cache');
  planThroughEdge = join(out, 'report.json');
});

t.test('the HTML report opens in headless Chromium with every chart drawn', async (t) => {
  t.ok(planThroughEdge, 'needs the previous test');
  if (!planThroughEdge) return;
  const { charts, pageErrors, title } = await chartsInBrowser(t, planThroughEdge.replace(/report\.json$/, 'index.html'));
  t.same(pageErrors, []);
  t.equal(title, 'Load test edge');
  t.same(charts.map((c) => c.id), ['chart-response-time', 'chart-throughput', 'chart-bandwidth', 'chart-hit-ratio', 'chart-viewers']);
  for (const c of charts) {
    t.ok(c.width > 300 && c.height > 100, `${c.id} is laid out (${c.width}x${c.height})`);
    t.ok(c.lines.length > 0, `${c.id} has lines`);
    for (const l of c.lines) t.ok(l.points >= 2 && l.length > 10, `${c.id} / ${l.series}: ${l.points} points, ${Math.round(l.length)} px`);
  }
});

t.test('player viewers through the edge reload the playlist and download each new segment once, in order', async (t) => {
  const out = join(kept, 'player-edge');
  const { trace, report } = await runInProcess({ LOADTEST_HOST: edge.url, LOADTEST_MODE: 'player', LOADTEST_THREADS: '3', LOADTEST_RAMPUP: '0.5', LOADTEST_DURATION: '5', LOADTEST_OUT: out, LOADTEST_LABEL: 'players' });
  t.equal(report.totals.all.errors, 0);
  t.ok(report.player, 'playback figures');
  t.equal(report.player!.stalls, report.seconds.reduce((n, s) => n + s.stalls, 0), 'stalls per second add up');
  for (const [id, events] of byViewer(trace)) {
    t.equal(events.filter((e) => e.type === 'master').length, 1, `viewer ${id} loads the master once`);
    t.ok(events.filter((e) => e.type === 'variant').length >= 3, `viewer ${id} reloads the live playlist`);
    const segs = events.filter((e) => e.type === 'segment').map((e) => seqOf(e.url));
    t.ok(segs.length >= 4, `viewer ${id} got ${segs.length} segments`);
    t.same(segs, [...new Set(segs)], 'no segment twice');
    t.ok(segs.every((s, i) => i === 0 || s === segs[i - 1] + 1), `consecutive segments: ${segs.join(',')}`);
  }
  playerThroughEdge = join(out, 'report.json');
});

t.test('compare writes a side-by-side report of two runs', async (t) => {
  t.ok(planThroughEdge && playerThroughEdge, 'needs the previous tests');
  if (!planThroughEdge || !playerThroughEdge) return;
  const out = tempDir(t);
  const run = await runProgram(t, ['compare', planThroughEdge, playerThroughEdge, '--out', out]);
  t.equal(run.code, 0, run.stderr);
  const file = join(out, 'compare.html');
  t.match(run.stdout, file);
  const { charts, pageErrors } = await chartsInBrowser(t, file);
  t.same(pageErrors, []);
  t.ok(charts.length >= 4);
  for (const c of charts) t.same(c.lines.map((l) => l.series).filter((s, i, a) => a.indexOf(s) === i), ['A: edge', 'B: players'], `${c.id} shows both runs`);
  const bad = await runProgram(t, ['compare', planThroughEdge, join(out, 'compare.html')]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /is not JSON/);
});
