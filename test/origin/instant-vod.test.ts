// Instant VOD from the real origin process fed by a real ffmpeg publish: once the publisher stops,
// the whole publish plays as an HLS VOD through the origin and a real edge, in the player in
// headless Chromium and is listed in the index; a republish of the name makes a second one.
import t from 'tap';
import { resolve } from 'node:path';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { startEdgeProcess } from '../edge/edge-harness';
import { checkPlayback, launchChromium, openPage, playerUrl } from '../player/browser';
import { listing, probeHls, publishFor } from './instant-vod-harness';
import { startOrigin, waitFor } from './origin-harness';

t.test('after the publisher stops, the whole publish plays as a VOD: origin, edge, player, index', async (t) => {
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '4', RECORD: 'off' });
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url(''), PUBLIC_DIR: resolve('public') });
  t.same(await listing(origin.url('')), [], 'nothing listed before a publish');

  await publishFor(t, origin, 'replay', 6);
  const [vod] = await waitFor('the instant VOD listed', async () => {
    const l = await listing(origin.url(''));
    return l.length ? l : undefined;
  });
  t.match(vod, { name: 'replay', kind: 'instant', master: /^\/vod-live\/replay\/\d+\/index\.m3u8$/ });
  t.ok(vod!.duration > 5 && vod!.duration < 7, `listed duration ${vod!.duration} s for a 6 s publish`);

  // The playlist: a VOD of every segment of the publish, not the 4 s live window.
  const r = await fetch(edge.url + vod!.master);
  t.equal(r.status, 200);
  t.match(r.headers.get('cache-control'), /max-age=\d{3,}, immutable/, 'a finished VOD playlist is cached long');
  const text = await r.text();
  const playlist = parse(text) as MediaPlaylist;
  t.equal(playlist.playlistType, 'VOD');
  t.equal(playlist.endlist, true);
  const total = playlist.segments.reduce((n, s) => n + s.duration, 0);
  t.ok(total > 5 && total < 7, `${playlist.segments.length} segments, ${total.toFixed(3)} s`);
  const base = edge.url + vod!.master.replace(/index\.m3u8$/, '');
  for (const u of [playlist.segments[0]!.map!.uri, ...playlist.segments.map((s) => s.uri)]) {
    const res = await fetch(base + u);
    t.equal(res.status, 200, `${u} through the edge`);
    await res.arrayBuffer();
  }

  // Only the playlist and media are served: not the journal or the listing entry, nothing outside.
  const dir = vod!.master.replace(/index\.m3u8$/, '');
  t.equal((await fetch(origin.url(`${dir}segments.jsonl`))).status, 404, 'the journal is not served');
  t.equal((await fetch(origin.url(`${dir}vod.json`))).status, 404, 'the listing entry is not served');
  t.equal((await fetch(origin.url('/vod-live/replay%5c..%5c..%5chls/replay.m3u8'))).status, 400, 'no way out of the folder');

  // ffprobe decodes the whole VOD through the edge: about 6 s, every frame.
  const probe = probeHls(edge.url + vod!.master);
  t.ok(Math.abs(probe.duration - 6) < 0.5, `ffprobe duration ${probe.duration} s`);
  t.ok(probe.videoFrames >= 170 && probe.videoFrames <= 181, `${probe.videoFrames} video frames of 180 sent`);
  t.ok(probe.audioFrames > 250, `${probe.audioFrames} audio frames`);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const played = await checkPlayback(browser, playerUrl(edge.url + '/', vod!.master), 3);
  t.teardown(() => played.session.close());
  t.ok(played.to - played.from >= 3, `the player played it from ${played.from} to ${played.to}`);
  t.same(played.pageErrors, []);
  t.ok(played.nonBlank, 'the picture is not blank');

  const index = await openPage(browser, `${edge.url}/index.html`);
  t.teardown(() => index.close());
  const link = index.page.locator(`#vod-list a[href*="${encodeURIComponent(vod!.master)}"]`);
  await link.first().waitFor({ timeout: 30_000 });
  t.match(await link.first().textContent(), /REPLAY.*replay/, 'the index lists it as a replay');

  // Publishing the name again makes a second VOD; the first is untouched.
  await publishFor(t, origin, 'replay', 3);
  const both = await waitFor('the second instant VOD', async () => {
    const l = await listing(origin.url(''));
    return l.length === 2 ? l : undefined;
  });
  t.equal(both[1]!.master, vod!.master, 'newest first; the first keeps its URL');
  t.not(both[0]!.master, vod!.master);
  t.equal(await (await fetch(origin.url(vod!.master))).text(), text, 'the first VOD is unchanged');
  t.ok(Math.abs(probeHls(origin.url(both[0]!.master)).duration - 3) < 0.5, 'the second holds the second publish');

});

