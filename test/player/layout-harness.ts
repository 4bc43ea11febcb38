// Shared by the player layout tests: one browser, a static server over the generated streams, and the ways a
// person looks: open the player, turn to a direction, name the colour in the middle of the screen. Stereo: the
// right eye is checked with ?eye= or the page's showEye hook, which make the ordinary screen show what the right
// eye sees in VR (the same mesh and three.js layer the headset's right eye uses).
import type { Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { centreColour, launchChromium, openPage, playerUrl, waitForPlayback, type PlayerSession } from './browser';
import { DIRECTIONS, LEFT_EYE, RIGHT_EYE, type Direction, type Rgb } from './layout-media';
import { ensurePlayerBuilt, startPlayerServer, type PlayerServer } from './player-server';
import type { StreamLayout } from '../../src/shared/layout/stream-layout';

// Only the middle of the screen is looked at; software WebGL draws a small page much faster.
const SMALL_VIEWPORT = { width: 320, height: 180 };

const PALETTE: Array<[string, Rgb]> = [
  ...Object.entries(LEFT_EYE).map(([d, c]): [string, Rgb] => [`${d} (left eye)`, c]),
  ...Object.entries(RIGHT_EYE).map(([d, c]): [string, Rgb] => [`${d} (right eye)`, c]),
  ['black', [0, 0, 0]],
];

/** The palette colour nearest to what is on screen, or "unclear" when nothing is near. */
export function seen(rgb: Rgb): string {
  let best = 'unclear';
  let bestDistance = 60;
  for (const [name, c] of PALETTE) {
    const distance = Math.hypot(rgb[0] - c[0], rgb[1] - c[1], rgb[2] - c[2]);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

interface Hooks {
  layout: StreamLayout;
  sceneReady: boolean;
  lookAt(yaw: number, pitch: number): boolean;
  showEye(eye: 'left' | 'right'): void;
}

export interface LayoutHarness {
  /** Opens the player on a stream in the media folder and waits until it plays and the scene is up. */
  watch(stream: string, params?: Record<string, string>): Promise<PlayerSession>;
  close(): Promise<void>;
}

/** Makes the streams (`make` writes them into the folder it is given), serves them and launches Chromium. */
export async function startLayoutHarness(make: (dir: string) => Promise<void>): Promise<LayoutHarness> {
  ensurePlayerBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'sc-player-layouts-'));
  let server: PlayerServer | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await make(dir);
    server = await startPlayerServer({ mediaDir: dir });
    browser = await launchChromium();
  } catch (err) {
    await close();
    throw err;
  }
  const base = server.publicBase;
  const chromium = browser;
  return {
    close,
    async watch(stream, params = {}) {
      const session = await openPage(chromium, playerUrl(base, `/media/${stream}`, params), SMALL_VIEWPORT);
      try {
        await waitForPlayback(session.page, 0.3);
        await session.page.waitForFunction(() => (window as unknown as { spherecast: Hooks }).spherecast.sceneReady, null, {
          timeout: 30_000,
          polling: 100,
        });
      } catch (err) {
        await session.close();
        throw err;
      }
      await frames(session.page);
      return session;
    },
  };
}

/** Two animation frames: whatever was changed is now drawn. */
function frames(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

/** What the middle of the screen shows now. */
export async function seenNow(page: Page): Promise<string> {
  return seen(await centreColour(page));
}

/** Turns to yaw/pitch (degrees; positive = right, up) and names the colour in the middle of the screen. */
export async function look(page: Page, yaw: number, pitch: number): Promise<string> {
  const turned = await page.evaluate(([y, p]) => (window as unknown as { spherecast: Hooks }).spherecast.lookAt(y, p), [yaw, pitch] as const);
  if (!turned) return 'camera did not turn';
  await frames(page);
  return seenNow(page);
}

/** Switches the ordinary screen to the other eye, as ?eye= does at load. */
export async function showEye(page: Page, eye: 'left' | 'right'): Promise<void> {
  await page.evaluate((e) => (window as unknown as { spherecast: Hooks }).spherecast.showEye(e), eye);
}

/** Opens the stats overlay (the i key) and reads its layout line. */
export async function statsLayout(page: Page): Promise<string | null> {
  await page.keyboard.press('i');
  await page.waitForFunction(() => document.querySelector('#sc-stats [data-stat="layout"]') !== null, null, { timeout: 10_000 });
  return page.locator('#sc-stats [data-stat="layout"]').textContent();
}

export function layoutOf(page: Page): Promise<StreamLayout> {
  return page.evaluate(() => (window as unknown as { spherecast: Hooks }).spherecast.layout);
}

/** Turns to every direction and checks each shows its face colour, for the given eye. */
export async function checkAllDirections(t: Test, page: Page, eye: 'left' | 'right', directions = Object.keys(DIRECTIONS) as Direction[]): Promise<void> {
  for (const d of directions) {
    const { yaw, pitch } = DIRECTIONS[d];
    t.equal(await look(page, yaw, pitch), `${d} (${eye} eye)`, `${eye} eye, looking ${d} (yaw ${yaw}, pitch ${pitch})`);
  }
}

export function noErrors(t: Test, ...sessions: PlayerSession[]): void {
  t.same(sessions.flatMap((s) => s.pageErrors.map(String)), [], 'no uncaught page errors');
}
