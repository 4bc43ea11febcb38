// LL player mode against the real origin's LL-HLS (real ffmpeg publish) through the real edge: each
// virtual viewer asks for the next part with a blocking reload, downloads every part once and in
// order, and the edge turns all viewers' requests for a part into one origin request each.
import t from 'tap';
import { nextDirectives, parseLlPlaylist } from '../../src/loadtest/ll-playlist';
import { startLlOrigin } from '../edge/ll-origin-fixture';
import { startEdgeProcess } from '../edge/edge-harness';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { originRequests, runInProcess, tempDir } from './loadtest-harness';

t.test('the LL playlist a player reads: parts with their sequence numbers, skips, and the next directives', async (t) => {
  const fixture = await startLlOrigin(t);
  const p = parseLlPlaylist(await (await fetch(`${fixture.url}/live/index.m3u8`)).text());
  t.match(p, { targetDuration: 1, partTarget: 0.2, partHoldBack: 0.6, canBlockReload: true, lastMsn: 5, map: 'init.mp4', endList: false });
  t.same(p.parts.map((x) => `${x.msn}.${x.index}`), ['5.0', '5.1', '5.2', '5.3', '5.4', '6.0', '6.1']);
  t.same(nextDirectives(p), { msn: 6, part: 2 });
  const delta = parseLlPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12\n#EXT-X-MEDIA-SEQUENCE:10\n#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n#EXT-X-PART:DURATION=0.5,URI="14.0.m4s"\n#EXTINF:2,\n14.m4s\n');
  t.match(delta, { lastMsn: 14, canSkip: true });
  t.same(nextDirectives(delta), { msn: 15, part: 0 }, 'the part after a complete segment is part 0 of the next');
  t.throws(() => parseLlPlaylist('#EXTM3U\n#EXT-X-PART:URI="a"\n'));
  t.throws(() => parseLlPlaylist('x'.repeat(2 * 1024 * 1024)));
});

t.test('LL viewers through the edge: blocking reloads at part rate, every part once and in order, one origin request per part', async (t) => {
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '6', RECORD: 'off' });
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url('') });
  publish(t, origin.rtmp('test'), { size: '320x180', gop: 30 });
  await waitFor('an LL playlist with 3 segments', async () => {
    const r = await fetch(origin.url('/hls/test_1280/index.m3u8'));
    return r.ok && ((await r.text()).match(/#EXTINF/g) ?? []).length >= 3 ? true : undefined;
  }, 40_000);
  const before = await originRequests(origin.url(''));
  const { report, trace } = await runInProcess({ LOADTEST_HOST: edge.url, LOADTEST_MODE: 'll', LOADTEST_THREADS: '20', LOADTEST_RAMPUP: '0.5', LOADTEST_DURATION: '5', LOADTEST_OUT: tempDir(t) });
  const after = await originRequests(origin.url(''));
  t.equal(report.totals.all.errors, 0, JSON.stringify(report.totals.all.errorKinds));
  t.ok(report.player, 'stalls are reported');

  const partsSeen = new Set<string>();
  for (let v = 0; v < 20; v++) {
    const events = trace.filter((e) => e.viewer === v);
    const blocking = events.filter((e) => e.url.includes('_HLS_msn='));
    const parts = events.filter((e) => /\/\d+\.\d+\.m4s$/.test(e.url)).map((e) => /\/(\d+)\.(\d+)\.m4s$/.exec(e.url)!.slice(1).map(Number) as [number, number]);
    const asked = blocking.map((e) => [Number(/_HLS_msn=(\d+)/.exec(e.url)![1]), Number(/_HLS_part=(\d+)/.exec(e.url)![1])] as const);
    const rising = asked.every(([m, p], i) => i === 0 || m > asked[i - 1]![0] || (m === asked[i - 1]![0] && p > asked[i - 1]![1]));
    t.ok(asked.length >= 2 && rising, `viewer ${v}: ${asked.length} blocking reloads, each for a later part`);
    t.ok(blocking.every((e) => e.url.includes('&_HLS_skip=YES')), 'delta updates asked, as the server can skip');
    // The part each reload asked for is downloaded before the next reload (the last may be cut by the run's end).
    const partAt = (e: { url: string }) => /\/(\d+)\.(\d+)\.m4s$/.exec(e.url)?.slice(1).join('.');
    const missing = asked.slice(0, -1).filter(([m, p], i) => {
      const from = events.indexOf(blocking[i]!);
      const to = events.indexOf(blocking[i + 1]!);
      return !events.slice(from, to).some((e) => partAt(e) === `${m}.${p}`);
    });
    t.same(missing, [], `viewer ${v}: every part asked for was downloaded next`);
    const keys = parts.map(([m, p]) => `${m}.${p}`);
    t.equal(new Set(keys).size, keys.length, `viewer ${v}: no part twice`);
    const inOrder = parts.every(([m, p], i) => i === 0 || m > parts[i - 1]![0] || (m === parts[i - 1]![0] && p === parts[i - 1]![1] + 1));
    t.ok(inOrder, `viewer ${v}: ${parts.length} parts, in order`);
    for (const k of keys) partsSeen.add(k);
  }
  const originParts = (after.segment ?? 0) - (before.segment ?? 0);
  // Each part once from the origin (plus the init segment and a full segment or two at the start).
  t.ok(originParts <= partsSeen.size + 3, `origin media requests ${originParts} for ${partsSeen.size} parts`);
  const originPlaylists = (after.playlist ?? 0) - (before.playlist ?? 0);
  t.ok(originPlaylists <= 1.1 * partsSeen.size + 4, `origin playlist requests ${originPlaylists} for ${partsSeen.size} parts`);
});
