// The player plays a real VOD (ffmpeg-made, two renditions) from a plain static server in headless Chromium.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { checkPlayback, launchChromium, looksNonBlank, openPlayer, playerUrl, screenshotVariety, waitForMessage, waitForPlayback } from './browser';
import { makeVod } from './hls-media';
import { ensurePlayerBuilt, startPlayerServer, type PlayerServer } from './player-server';

let dir: string;
let server: PlayerServer;
let browser: Browser;
let vodUrl: string;

t.before(async () => {
  ensurePlayerBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sc-player-vod-'));
  const master = await makeVod(dir);
  server = await startPlayerServer({ mediaDir: dir });
  vodUrl = `/media/${master}`;
  browser = await launchChromium();
});

t.teardown(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

t.test('a VOD playlist plays on the videosphere, with no page errors and a picture on screen', async (t) => {
  const check = await checkPlayback(browser, playerUrl(server.publicBase, vodUrl), 3, process.env.SC_PLAYER_SCREENSHOT);
  t.teardown(() => check.session.close());
  const { page } = check.session;
  t.ok(check.to - check.from >= 3, `currentTime advanced from ${check.from} to ${check.to}`);
  t.equal(check.scenes, 1, 'an a-scene is on the page');
  t.equal(await page.locator('a-scene canvas').count(), 1, 'A-Frame created its WebGL canvas');
  t.ok(check.nonBlank, `screenshot is not blank: ${JSON.stringify(check.variety)}`);
  t.same(check.pageErrors, [], 'no uncaught page errors');
  t.equal(await page.locator('#sc-message').isVisible(), false, 'no message card over the video');
  t.equal(await page.locator('#sc-unmute').isVisible(), true, 'muted autoplay offers tap-to-unmute');
  await page.click('#sc-unmute');
  await page.waitForFunction(() => !(document.getElementById('sc-video') as HTMLVideoElement).muted);
  t.equal(await page.locator('#sc-unmute').isVisible(), false, 'tapping it unmutes and the prompt goes away');
});

t.test('the quality menu offers Auto plus each rendition and switches to the chosen one', async (t) => {
  const session = await openPlayer(browser, playerUrl(server.publicBase, vodUrl));
  t.teardown(() => session.close());
  const { page } = session;
  await waitForPlayback(page, 1);
  await page.click('#sc-quality-button');
  const items = await page.locator('#sc-quality-menu button').allTextContents();
  t.same(items.map((s) => s.replace(/ · .*/, '')), ['Auto', '320p', '160p'], `menu items: ${items.join(' | ')}`);
  const lowIndex = Number(await page.locator('#sc-quality-menu button', { hasText: '160p' }).getAttribute('data-level'));
  await page.click('#sc-quality-menu button:has-text("160p")');
  await page.waitForFunction(
    (index) => (window as unknown as { spherecast: { controller: { selectedQuality(): number } } }).spherecast.controller.selectedQuality() === index,
    lowIndex,
    { timeout: 10_000 },
  );
  await page.waitForFunction(() => (document.getElementById('sc-video') as HTMLVideoElement).videoHeight === 160, null, { timeout: 60_000, polling: 200 });
  // The picture can change a moment before hls.js reports the switch that relabels the button.
  await page
    .waitForFunction(() => /160p/.test(document.getElementById('sc-quality-button')?.textContent ?? ''), null, { timeout: 10_000, polling: 100 })
    .catch(() => undefined);
  t.match(await page.locator('#sc-quality-button').textContent(), /160p/, 'the button shows the chosen level');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('flat projection with side-by-side stereo plays on a screen with one mesh per eye', async (t) => {
  const session = await openPlayer(browser, playerUrl(server.publicBase, vodUrl, { projection: 'flat', stereo: 'sbs' }));
  t.teardown(() => session.close());
  const { page } = session;
  await waitForPlayback(page, 2);
  // A-Frame's getAttribute returns the parsed component data, not the attribute string.
  const surfaces = await page.evaluate(() =>
    [...document.querySelectorAll('.sc-video-surface')].map((el) => {
      const data = (name: string): Record<string, string> | null => el.getAttribute(name) as unknown as Record<string, string> | null;
      return { geometry: data('geometry')!, eye: data('sc-eye')?.eye };
    }),
  );
  t.same(surfaces.map((s) => [s.geometry.primitive, s.eye]), [['plane', 'left'], ['plane', 'right']]);
  // three.js layers: left eye mesh on layer 1, right on layer 2; the ordinary camera sees layer 1 (the left eye).
  type Layered = { layers: { mask: number } };
  type Entity = Element & { getObject3D(type: string): Layered | undefined };
  const masks = await page.evaluate(() => ({
    meshes: [...document.querySelectorAll('.sc-video-surface')].map((el) => (el as Entity).getObject3D('mesh')?.layers.mask),
    camera: (document.querySelector('[camera]') as Entity).getObject3D('camera')?.layers.mask,
  }));
  t.same(masks.meshes, [0b10, 0b100], 'left mesh on layer 1, right mesh on layer 2');
  t.equal(masks.camera! & 0b10, 0b10, 'the non-VR camera shows the left eye');
  t.equal(masks.camera! & 0b100, 0, 'and not the right eye');
  t.ok(looksNonBlank(await screenshotVariety(page)), 'the screen shows the picture');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('a playlist that 404s shows "Stream not found" instead of a blank page', async (t) => {
  const session = await openPlayer(browser, playerUrl(server.publicBase, '/media/no-such-stream.m3u8'));
  t.teardown(() => session.close());
  const message = await waitForMessage(session.page, /not found/i);
  t.equal(message.kind, 'error');
  t.match(message.detail, /404/);
  t.equal(await session.page.locator('#sc-retry').isVisible(), true, 'a retry button is offered');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('an unreachable server shows a network error while it retries', async (t) => {
  // A port nothing listens on: the server that was just closed.
  const gone = await startPlayerServer({ mediaDir: dir });
  const deadUrl = `${gone.mediaBase}${'vod.m3u8'}`;
  await gone.close();
  const session = await openPlayer(browser, playerUrl(server.publicBase, deadUrl));
  t.teardown(() => session.close());
  const message = await waitForMessage(session.page, /network error/i);
  t.match(message.detail, /could not be reached/);
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('no url parameter explains what to do', async (t) => {
  const session = await openPlayer(browser, `${server.publicBase}player.html`);
  t.teardown(() => session.close());
  const message = await waitForMessage(session.page, /nothing to play/i);
  t.match(message.detail, /\?url=/);
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

// The Safari/iOS path: the browser's own HLS. This Chromium plays HLS natively too, so the same code runs here.
t.test('native HLS (engine=native) plays, and a 404 is still told apart from a codec problem', async (t) => {
  const probe = await openPlayer(browser, `${server.publicBase}player.html`);
  const native = await probe.page.evaluate(() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl'));
  await probe.close();
  t.not(native, '', 'this Chromium plays HLS natively (Debian chromium does; without it this path cannot be tested here)');
  const session = await openPlayer(browser, playerUrl(server.publicBase, vodUrl, { engine: 'native' }));
  t.teardown(() => session.close());
  t.equal(await session.page.evaluate(() => (window as unknown as { spherecast: { engine: string } }).spherecast.engine), 'native');
  const played = await waitForPlayback(session.page, 2);
  t.ok(played.to - played.from >= 2, `currentTime advanced from ${played.from} to ${played.to}`);

  const missing = await openPlayer(browser, playerUrl(server.publicBase, '/media/no-such-stream.m3u8', { engine: 'native' }));
  t.teardown(() => missing.close());
  const message = await waitForMessage(missing.page, /not found/i);
  t.match(message.detail, /404/);
  t.same([...session.pageErrors, ...missing.pageErrors].map(String), [], 'no uncaught page errors');
});

t.test('a browser with neither MSE nor native HLS is told so', async (t) => {
  const session = await openPlayer(browser);
  t.teardown(() => session.close());
  await session.page.addInitScript(() => {
    Object.defineProperty(window, 'MediaSource', { value: undefined, configurable: true });
    Object.defineProperty(window, 'ManagedMediaSource', { value: undefined, configurable: true });
    HTMLMediaElement.prototype.canPlayType = () => '';
  });
  await session.page.goto(playerUrl(server.publicBase, vodUrl));
  const message = await waitForMessage(session.page, /cannot play/i);
  t.match(message.detail, /Media Source Extensions nor HLS/);
  t.equal(await session.page.locator('#sc-retry').isVisible(), false, 'no pointless retry button');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('without WebGL the video still plays, flat, with a note saying why', async (t) => {
  const session = await openPlayer(browser);
  t.teardown(() => session.close());
  await session.page.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, ...rest: unknown[]) {
      return /webgl/i.test(type) ? null : (original as (...a: unknown[]) => unknown).call(this, type, ...rest);
    } as typeof original;
  });
  await session.page.goto(playerUrl(server.publicBase, vodUrl));
  await waitForPlayback(session.page, 2);
  t.equal(await session.page.locator('body.sc-fallback').count(), 1, 'fallback mode');
  t.equal(await session.page.locator('a-scene').count(), 0, 'no scene without WebGL');
  t.match(await session.page.locator('#sc-toast').textContent(), /no WebGL/);
  t.ok(looksNonBlank(await screenshotVariety(session.page)), 'the flat video is on screen');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});
