// Viewport renditions in the player (#15): a VOD asset made by the real transcoder (VIEWPORT_RENDITIONS=4) from the
// coloured cube, played in headless Chromium. Turning the camera makes the player switch to the rendition for that
// yaw (hls.js' level on screen, and the stats overlay), and every direction still shows its own face after the switch.
import t from 'tap';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { look, noErrors, startLayoutHarness, type LayoutHarness } from './layout-harness';
import { makeEquirectRecording } from './layout-media';
import { runTranscoder } from '../transcoder/harness';

type ViewportState = { activeYaw?: number; chosenYaw?: number; count: number } | undefined;

let harness: LayoutHarness;

t.before(async () => {
  harness = await startLayoutHarness(async (dir) => {
    const recording = await makeEquirectRecording(join(dir, 'cube.mp4'), 40);
    const r = await runTranscoder(['transcode', recording, join(dir, 'asset')], {
      LADDER_360: JSON.stringify([{ width: 512, height: 256, bitrate: '300k' }, { audio: '64k' }]),
      SEGMENT_SECONDS: '1',
      VIEWPORT_RENDITIONS: '4',
      POSTER_TIMEOUT: '0',
    });
    if (r.code !== 0) throw new Error(`transcoder exited ${r.code}: ${r.stderr}`);
  });
});

t.teardown(() => harness?.close());

function viewport(page: Page): Promise<ViewportState> {
  return page.evaluate(() => (window as unknown as { spherecast: { viewport(): ViewportState } }).spherecast.viewport());
}

/** Waits until the rendition on screen is the one for `yaw`; returns what the player says. */
async function waitForActive(page: Page, yaw: number): Promise<ViewportState> {
  await page.waitForFunction(
    (y) => (window as unknown as { spherecast: { viewport(): ViewportState } }).spherecast.viewport()?.activeYaw === y,
    yaw,
    { timeout: 30_000, polling: 100 },
  );
  return viewport(page);
}

t.test('the player follows the view: the rendition for each yaw comes on screen, and each direction keeps its colour', async (t) => {
  const session = await harness.watch('asset/MANIFEST.M3U8');
  t.teardown(() => session.close());
  const page = session.page;
  t.same(await waitForActive(page, 0), { activeYaw: 0, chosenYaw: 0, count: 4 }, 'starts on the rendition facing the initial view');
  const stats = page.locator('#sc-stats [data-stat="viewport"]');
  const steps: Array<{ yaw: number; rendition: number; face: string }> = [
    { yaw: 90, rendition: 90, face: 'right' },
    { yaw: 180, rendition: 180, face: 'back' },
    { yaw: -90, rendition: 270, face: 'left' },
    // 30 degrees right of the front is still nearest the front's rendition.
    { yaw: 30, rendition: 0, face: 'front' },
  ];
  for (const step of steps) {
    await look(page, step.yaw, 0);
    const state = await waitForActive(page, step.rendition);
    t.equal(state?.chosenYaw, step.rendition, `looking at yaw ${step.yaw}: rendition yaw ${step.rendition} chosen and on screen`);
    const shown = await look(page, step.yaw, 0);
    t.equal(shown, `${step.face} (left eye)`, `after the switch, yaw ${step.yaw} shows the ${step.face} face`);
    // The overlay (the i key) covers the middle of this small page: open it after looking, close it again.
    await page.keyboard.press('i');
    await page.waitForFunction(() => document.querySelector('#sc-stats [data-stat="viewport"]') !== null, null, { timeout: 10_000 });
    t.equal(await stats.textContent(), `yaw ${step.rendition}° (of 4)`, 'the stats overlay names the rendition');
    await page.keyboard.press('i');
  }
  t.equal(await page.locator('#sc-quality-button').isVisible(), false, 'no quality menu: the view chooses');
  noErrors(t, session);
});

t.test('a master without a viewport listing (here the viewport master itself) plays as before', async (t) => {
  const session = await harness.watch('asset/MANIFEST_VIEWPORT.M3U8');
  t.teardown(() => session.close());
  t.equal(await viewport(session.page), undefined);
  t.equal(await look(session.page, 0, 0), 'front (left eye)', 'the front face');
  noErrors(t, session);
});
