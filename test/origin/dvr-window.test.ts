// HLS_DVR_WINDOW on the real origin fed by a real ffmpeg publish: the live playlist lists that many
// seconds while parts stay at the live edge, segments older than HLS_PLAYLIST_LENGTH come from
// disk, a segment that left the window stays downloadable (RFC 8216 6.2.2), and in headless
// Chromium the player seeks back within the window and its LIVE button returns to the edge.
import t from 'tap';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { launchChromium, openPlayer, playerUrl } from '../player/browser';
import { listedUris, llPlaylistViolations } from '../fixtures/ll-playlist-rules';
import { publish, startOrigin, waitFor } from './origin-harness';

const DVR = 32;

t.test('a DVR window playlist, served from memory and disk; the player rewinds in it and goes live again', async (t) => {
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '4', HLS_DVR_WINDOW: String(DVR), RECORD: 'off', INSTANT_VOD: 'off' });
  publish(t, origin.rtmp('dvr'), { size: '320x180' });
  const variant = origin.url('/hls/dvr_1280/index.m3u8');
  await waitFor('the stream', async () => ((await fetch(variant)).ok ? true : undefined), 40_000);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const session = await openPlayer(browser, playerUrl(origin.url('/'), '/hls/dvr.m3u8', { live: '1' }));
  t.teardown(() => session.close());
  const { page } = session;

  // Wait for the window to fill and a first segment to have left it.
  const text = await waitFor('a full DVR window', async () => {
    const body = await (await fetch(variant)).text();
    return /#EXT-X-MEDIA-SEQUENCE:([1-9]\d*)/.test(body) ? body : undefined;
  }, 90_000, 500);
  t.same(llPlaylistViolations(text), [], text);
  const playlist = parse(text) as MediaPlaylist;
  const complete = playlist.segments.filter((s) => s.uri);
  const listed = complete.reduce((n, s) => n + s.duration, 0);
  t.ok(listed >= DVR - 1.5 && listed <= DVR + 1.5, `${complete.length} segments, ${listed.toFixed(1)} s listed for HLS_DVR_WINDOW=${DVR}`);
  const uris = listedUris(text);
  t.ok(new Set(uris.parts.map((u) => u.split('.')[0])).size <= 3, 'parts only near the live edge');
  for (const u of [...uris.maps, ...uris.segments]) {
    const r = await fetch(origin.url(`/hls/dvr_1280/${u}`));
    t.equal(r.status, 200, `${u} is served`);
    await r.arrayBuffer();
  }
  const gone = `${playlist.mediaSequenceBase! - 1}.m4s`;
  const left = await fetch(origin.url(`/hls/dvr_1280/${gone}`));
  t.equal(left.status, 200, `${gone} left the playlist and is still served (its duration plus the playlist's)`);

  // The player: a seek bar over the window; rewinding 20 s plays from there (segments from disk).
  await page.waitForFunction(() => !(document.getElementById('sc-seek') as HTMLInputElement).hidden, null, { timeout: 60_000 });
  const before = await page.evaluate(() => {
    const v = document.getElementById('sc-video') as HTMLVideoElement;
    const s = document.getElementById('sc-seek') as HTMLInputElement;
    const target = Number(s.max) - 20;
    s.value = String(target);
    s.dispatchEvent(new Event('input'));
    s.dispatchEvent(new Event('change'));
    return { target, edge: Number(s.max), span: Number(s.max) - Number(s.min), at: v.currentTime };
  });
  t.ok(before.span >= 28, `the seek bar spans ${before.span.toFixed(1)} s`);
  await page.waitForFunction((from) => {
    const v = document.getElementById('sc-video') as HTMLVideoElement;
    return !v.paused && v.currentTime >= from + 2;
  }, before.target, { timeout: 60_000, polling: 200 });
  const rewound = await page.evaluate(() => {
    const v = document.getElementById('sc-video') as HTMLVideoElement;
    return { behind: v.seekable.end(v.seekable.length - 1) - v.currentTime, badge: document.getElementById('sc-live')!.className };
  });
  t.ok(rewound.behind > 12, `playing ${rewound.behind.toFixed(1)} s behind the live edge after the rewind`);
  t.match(rewound.badge, /sc-live-behind/, 'the LIVE button shows the viewer is behind');

  await page.evaluate(() => document.getElementById('sc-live')!.click());
  await page.waitForFunction(() => {
    const v = document.getElementById('sc-video') as HTMLVideoElement;
    return v.seekable.end(v.seekable.length - 1) - v.currentTime < 8 && !document.getElementById('sc-live')!.classList.contains('sc-live-behind');
  }, null, { timeout: 60_000, polling: 200 });
  t.pass('LIVE returns to the live edge');
  t.same(session.pageErrors.map(String), []);
});
