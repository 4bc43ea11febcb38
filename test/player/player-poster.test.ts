// The player shows the picture published beside the playlist (<name>.jpg: a live thumbnail or a VOD poster) until
// the video's first frame, in headless Chromium; a stream without one shows none.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openPlayer, playerUrl, waitForPlayback } from './browser';
import { makeVod } from './hls-media';
import { ensurePlayerBuilt, startPlayerServer, type PlayerServer } from './player-server';

let dir: string;
let server: PlayerServer;
let browser: Browser;

t.before(async () => {
  ensurePlayerBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sc-player-poster-'));
  await makeVod(dir, 4);
  // vod.m3u8 -> vod.jpg; the same media again under a name with no picture beside it.
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=0x00ff00:s=480x270', '-frames:v', '1', join(dir, 'vod.jpg')]);
  execFileSync('cp', [join(dir, 'vod.m3u8'), join(dir, 'nopicture.m3u8')]);
  server = await startPlayerServer({ mediaDir: dir });
  browser = await launchChromium();
});

t.teardown(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const posterState = `(() => {
  const img = document.getElementById('sc-poster');
  // Hit-testing skips pointer-events: none (the poster lets taps through), so it is made hittable for the look.
  // A quarter in: the centre holds the play button.
  img.style.pointerEvents = 'auto';
  const at = document.elementFromPoint(innerWidth / 4, innerHeight / 4);
  img.style.pointerEvents = '';
  return { hidden: img.hidden, loaded: img.complete && img.naturalWidth > 0, src: img.getAttribute('src'), onTop: at === img, at: at && (at.id || at.className), time: document.getElementById('sc-video').currentTime };
})()`;

t.test('the poster is on screen before the first frame and gone once the video plays', async (t) => {
  const session = await openPlayer(browser, playerUrl(server.publicBase, '/media/vod.m3u8', { autoplay: '0' }));
  t.teardown(() => session.close());
  const { page } = session;
  await page.waitForFunction(`${posterState}.loaded && !${posterState}.hidden`);
  const before = (await page.evaluate(posterState)) as { src: string; onTop: boolean; time: number };
  t.match(before.src, /\/media\/vod\.jpg$/, 'the picture beside the playlist');
  t.ok(before.onTop, `it covers the scene (${JSON.stringify(before)})`);
  t.equal(before.time, 0, 'no frame played yet');
  await page.locator('#sc-bigplay').click();
  await waitForPlayback(page, 1);
  await page.waitForFunction(`${posterState}.hidden`);
  t.notOk(((await page.evaluate(posterState)) as { onTop: boolean }).onTop, 'the scene is visible again');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('a stream with no picture beside it shows none and plays', async (t) => {
  const session = await openPlayer(browser, playerUrl(server.publicBase, '/media/nopicture.m3u8'));
  t.teardown(() => session.close());
  const { page } = session;
  const played = await waitForPlayback(page, 1);
  t.ok(played.to > played.from);
  const state = (await page.evaluate(posterState)) as { hidden: boolean };
  t.ok(state.hidden, 'no poster shown');
});
