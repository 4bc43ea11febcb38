// Live viewport renditions in the player (#15): the real origin (LIVE_VIEWPORT_RENDITIONS=4) takes a real ffmpeg
// publish of the coloured equirect cube; headless Chromium opens the origin's player on the live stream. It plays the
// viewport master (not the stream's), marked LIVE, and turning the camera brings the rendition for that yaw on screen
// with each direction still showing its own face.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage, waitForPlayback } from './browser';
import { look, noErrors } from './layout-harness';
import { makeEquirectRecording } from './layout-media';
import { ensurePlayerBuilt } from './player-server';
import { startOrigin, waitFor, type Origin } from '../origin/origin-harness';

type ViewportState = { activeYaw?: number; chosenYaw?: number; count: number } | undefined;

let origin: Origin;
let browser: Browser;

t.before(async () => {
  ensurePlayerBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'sc-live-viewport-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const recording = await makeEquirectRecording(join(dir, 'cube.mp4'), 10);
  origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '8', RECORD: 'off', THUMBNAIL_INTERVAL: '0', LIVE_VIEWPORT_RENDITIONS: '4', LIVE_LADDER_PRESET: 'ultrafast' });
  // Looped, with a keyframe every second (the recording's own are 25 s apart).
  const pub = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', recording, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-b:v', '400k', '-c:a', 'aac', '-f', 'flv', origin.rtmp('cube')], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => pub.once('exit', () => r()));
  t.teardown(async () => {
    if (pub.exitCode === null && pub.signalCode === null) pub.kill('SIGKILL');
    await exited;
  });
  await waitFor('the viewport listing', async () => ((await fetch(origin.url('/hls/cube.viewport.json'))).ok ? true : undefined), 60_000, 300);
  browser = await launchChromium();
  t.teardown(() => browser.close());
});

const viewport = (page: Page): Promise<ViewportState> => page.evaluate(() => (window as unknown as { spherecast: { viewport(): ViewportState } }).spherecast.viewport());

async function waitForActive(page: Page, yaw: number): Promise<ViewportState> {
  await page.waitForFunction((y) => (window as unknown as { spherecast: { viewport(): ViewportState } }).spherecast.viewport()?.activeYaw === y, yaw, { timeout: 30_000, polling: 100 });
  return viewport(page);
}

t.test('the live stream plays its viewport renditions, chosen by where the viewer looks', async (t) => {
  const session = await openPage(browser, origin.url(`/player.html?url=${encodeURIComponent('/hls/cube.m3u8')}&live=1`), { width: 320, height: 180 });
  t.teardown(() => session.close());
  const page = session.page;
  await waitForPlayback(page, 1);
  await page.waitForFunction(() => (window as unknown as { spherecast: { sceneReady: boolean } }).spherecast.sceneReady, null, { timeout: 30_000, polling: 100 });
  t.same(await waitForActive(page, 0), { activeYaw: 0, chosenYaw: 0, count: 4 }, 'starts on the rendition facing the initial view');
  t.equal(await page.locator('#sc-live').isVisible(), true, 'the LIVE badge shows');
  for (const step of [{ yaw: 90, face: 'right' }, { yaw: 180, face: 'back' }]) {
    await look(page, step.yaw, 0);
    const state = await waitForActive(page, step.yaw);
    t.equal(state?.chosenYaw, step.yaw, `looking at yaw ${step.yaw}: that rendition chosen and on screen`);
    t.equal(await look(page, step.yaw, 0), `${step.face} (left eye)`, `after the switch, yaw ${step.yaw} shows the ${step.face} face`);
  }
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  t.ok(loaded.includes('/hls/cube_viewport.m3u8'), 'the viewport master was loaded');
  t.notOk(loaded.includes('/hls/cube.m3u8'), 'the stream\'s master was not');
  noErrors(t, session);
});
