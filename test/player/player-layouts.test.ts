// The player shows every layout the way a person would see it: streams made from a cube of six coloured faces
// (converted by ffmpeg's v360 to each projection), the camera turned to each direction, and the colour at the
// middle of the screen read from a screenshot. Stereo: the right eye is checked with ?eye=right, which makes the
// ordinary screen show what the right eye sees in VR (the same mesh and three.js layer the headset's right eye uses).
import t, { type Test } from 'tap';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { centreColour, launchChromium, openPage, playerUrl, waitForPlayback, type PlayerSession } from './browser';
import { DIRECTIONS, LEFT_EYE, RIGHT_EYE, makeFlatStream, makeLayoutStream, type Direction, type Rgb } from './layout-media';
import { ensurePlayerBuilt, startPlayerServer, type PlayerServer } from './player-server';
import type { StreamLayout } from '../../src/shared/layout/stream-layout';

let dir: string;
let server: PlayerServer;
let browser: Browser;
// Only the middle of the screen is looked at; software WebGL draws a small page much faster.
const SMALL_VIEWPORT = { width: 320, height: 180 };

const PALETTE: Array<[string, Rgb]> = [
  ...Object.entries(LEFT_EYE).map(([d, c]): [string, Rgb] => [`${d} (left eye)`, c]),
  ...Object.entries(RIGHT_EYE).map(([d, c]): [string, Rgb] => [`${d} (right eye)`, c]),
  ['black', [0, 0, 0]],
];

/** The palette colour nearest to what is on screen, or "unclear" when nothing is near. */
function seen(rgb: Rgb): string {
  let best = 'unclear';
  let bestDistance = 60;
  for (const [name, c] of PALETTE) {
    const distance = Math.hypot(rgb[0] - c[0], rgb[1] - c[1], rgb[2] - c[2]);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

t.before(async () => {
  ensurePlayerBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sc-player-layouts-'));
  const json = (projection: StreamLayout['projection'], stereo: StreamLayout['stereo'], view?: StreamLayout['view']): StreamLayout => ({
    projection,
    stereo,
    ...(view ? { view } : {}),
  });
  await makeLayoutStream(dir, 'equirect', 'equirect', 'mono', json('equirect', 'mono', { yaw: 90, pitch: 0 }));
  await makeLayoutStream(dir, 'equirect-tb', 'equirect', 'top-bottom', json('equirect', 'top-bottom'));
  await makeLayoutStream(dir, 'half-sbs', 'equirect180', 'side-by-side', json('equirect180', 'side-by-side'));
  await makeLayoutStream(dir, 'cube', 'cubemap', 'mono', json('cubemap', 'mono'));
  await makeLayoutStream(dir, 'eac', 'eac', 'mono', json('eac', 'mono'));
  await makeLayoutStream(dir, 'cube-tb', 'cubemap', 'top-bottom', json('cubemap', 'top-bottom'));
  await makeFlatStream(dir, 'flat');
  // The same media under other master names (the media playlist is referenced relatively): no JSON, a broken
  // JSON, and a JSON that is wrong on purpose for the override test.
  await copyFile(join(dir, 'equirect.m3u8'), join(dir, 'no-json.m3u8'));
  await copyFile(join(dir, 'equirect.m3u8'), join(dir, 'bad-json.m3u8'));
  await writeFile(join(dir, 'bad-json.json'), '{"layout":{"projection":"equirect","stereo":"sideways"}}');
  await copyFile(join(dir, 'cube.m3u8'), join(dir, 'cube-wrong.m3u8'));
  await writeFile(join(dir, 'cube-wrong.json'), '{"layout":{"projection":"equirect","stereo":"mono"}}');
  server = await startPlayerServer({ mediaDir: dir });
  browser = await launchChromium();
});

t.teardown(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Hooks {
  layout: StreamLayout;
  sceneReady: boolean;
  lookAt(yaw: number, pitch: number): boolean;
  showEye(eye: 'left' | 'right'): void;
}

/** Opens the player on a stream and waits until it plays and the scene is up. */
async function watch(stream: string, params: Record<string, string> = {}): Promise<PlayerSession> {
  const session = await openPage(browser, playerUrl(server.publicBase, `/media/${stream}`, params), SMALL_VIEWPORT);
  await waitForPlayback(session.page, 0.3);
  await session.page.waitForFunction(() => (window as unknown as { spherecast: Hooks }).spherecast.sceneReady, null, { timeout: 30_000, polling: 100 });
  await frames(session.page);
  return session;
}

/** Two animation frames: whatever was changed is now drawn. */
function frames(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

async function look(page: Page, yaw: number, pitch: number): Promise<string> {
  const turned = await page.evaluate(([y, p]) => (window as unknown as { spherecast: Hooks }).spherecast.lookAt(y, p), [yaw, pitch] as const);
  if (!turned) return 'camera did not turn';
  await frames(page);
  return seen(await centreColour(page));
}

/** Switches the ordinary screen to the other eye, as ?eye= does at load. */
async function showEye(page: Page, eye: 'left' | 'right'): Promise<void> {
  await page.evaluate((e) => (window as unknown as { spherecast: Hooks }).spherecast.showEye(e), eye);
}

/** Opens the stats overlay (the i key) and reads its layout line. */
async function statsLayout(page: Page): Promise<string | null> {
  await page.keyboard.press('i');
  await page.waitForFunction(() => document.querySelector('#sc-stats [data-stat="layout"]') !== null, null, { timeout: 10_000 });
  return page.locator('#sc-stats [data-stat="layout"]').textContent();
}

function layoutOf(page: Page): Promise<StreamLayout> {
  return page.evaluate(() => (window as unknown as { spherecast: Hooks }).spherecast.layout);
}

/** Turns to every direction and checks each shows its face colour, for the given eye. */
async function checkAllDirections(t: Test, page: Page, eye: 'left' | 'right', directions = Object.keys(DIRECTIONS) as Direction[]): Promise<void> {
  for (const d of directions) {
    const { yaw, pitch } = DIRECTIONS[d];
    t.equal(await look(page, yaw, pitch), `${d} (${eye} eye)`, `${eye} eye, looking ${d} (yaw ${yaw}, pitch ${pitch})`);
  }
}

function noErrors(t: Test, ...sessions: PlayerSession[]): void {
  t.same(sessions.flatMap((s) => s.pageErrors.map(String)), [], 'no uncaught page errors');
}

t.test('equirect mono: `?url=` alone reads the JSON, starts at its initial view, every direction shows its face', async (t) => {
  const session = await watch('equirect.m3u8');
  t.teardown(() => session.close());
  t.same(await layoutOf(session.page), { projection: 'equirect', stereo: 'mono', view: { yaw: 90, pitch: 0 } });
  t.equal(seen(await centreColour(session.page)), 'right (left eye)', 'the first view is the JSON initial view (yaw 90 = right)');
  await checkAllDirections(t, session.page, 'left');
  noErrors(t, session);
});

t.test('equirect top-bottom stereo: each eye sees its own half', async (t) => {
  const left = await watch('equirect-tb.m3u8');
  t.teardown(() => left.close());
  await checkAllDirections(t, left.page, 'left');
  const right = await watch('equirect-tb.m3u8', { eye: 'right' });
  t.teardown(() => right.close());
  await checkAllDirections(t, right.page, 'right');
  noErrors(t, left, right);
});

t.test('equirect180 side-by-side: the front half sphere for each eye, black behind', async (t) => {
  const session = await watch('half-sbs.m3u8');
  t.teardown(() => session.close());
  for (const eye of ['left', 'right'] as const) {
    await showEye(session.page, eye);
    // Straight up or down is the edge of a half sphere: look 70 degrees up or down instead.
    t.equal(await look(session.page, 0, 70), `up (${eye} eye)`, `${eye} eye, pitch 70: up face`);
    t.equal(await look(session.page, 0, -70), `down (${eye} eye)`, `${eye} eye, pitch -70: down face`);
    t.equal(await look(session.page, 0, 0), `front (${eye} eye)`, `${eye} eye, front`);
    t.equal(await look(session.page, 60, 0), `right (${eye} eye)`, `${eye} eye, yaw 60: right face`);
    t.equal(await look(session.page, -60, 0), `left (${eye} eye)`, `${eye} eye, yaw -60: left face`);
    t.equal(await look(session.page, 180, 0), 'black', `${eye} eye, behind: nothing`);
  }
  noErrors(t, session);
});

t.test('cubemap (v360 c3x2, face order rludfb) top-bottom stereo: every face where it belongs, for both eyes', async (t) => {
  const session = await watch('cube-tb.m3u8');
  t.teardown(() => session.close());
  t.same(await layoutOf(session.page), { projection: 'cubemap', stereo: 'top-bottom' });
  await checkAllDirections(t, session.page, 'left');
  await showEye(session.page, 'right');
  await checkAllDirections(t, session.page, 'right');
  noErrors(t, session);
});

t.test('EAC (v360 eac) shows every face where it belongs', async (t) => {
  const session = await watch('eac.m3u8');
  t.teardown(() => session.close());
  t.equal((await layoutOf(session.page)).projection, 'eac');
  await checkAllDirections(t, session.page, 'left');
  // Off the face centres, where the equi-angular warp and the face turns matter.
  t.equal(await look(session.page, 40, 0), 'front (left eye)', 'yaw 40 is still the front face');
  t.equal(await look(session.page, 50, 0), 'right (left eye)', 'yaw 50 is the right face');
  t.equal(await look(session.page, 180, 40), 'back (left eye)', 'behind, pitch 40: back face');
  t.equal(await look(session.page, 180, 50), 'up (left eye)', 'behind, pitch 50: up face');
  t.equal(await look(session.page, 90, -50), 'down (left eye)', 'right, pitch -50: down face');
  noErrors(t, session);
});

t.test('no JSON, or a broken one: the auto rule (2:1 is mono equirect) from the video size', async (t) => {
  for (const stream of ['no-json.m3u8', 'bad-json.m3u8']) {
    const session = await watch(stream);
    t.teardown(() => session.close());
    t.same(await layoutOf(session.page), { projection: 'equirect', stereo: 'mono' }, stream);
    t.equal(await look(session.page, 0, 0), 'front (left eye)', `${stream}: front`);
    t.equal(await look(session.page, -90, 0), 'left (left eye)', `${stream}: left`);
    noErrors(t, session);
  }
});

t.test('a 4:3 video without JSON is a flat screen showing the middle of the picture', async (t) => {
  const session = await watch('flat.m3u8');
  t.teardown(() => session.close());
  t.same(await layoutOf(session.page), { projection: 'flat', stereo: 'mono' });
  t.equal(seen(await centreColour(session.page)), 'front (left eye)', 'the red box in the middle of the frame');
  t.equal(await session.page.locator('.sc-video-surface[data-projection="flat"]').count(), 1, 'a flat screen');
  noErrors(t, session);
});

t.test('cubemap mono; query parameters override the JSON, and the stats overlay says where the layout came from', async (t) => {
  // (The stats box is opened only after looking: on this small page it would cover the middle.)
  const wrong = await watch('cube-wrong.m3u8');
  t.teardown(() => wrong.close());
  t.equal((await layoutOf(wrong.page)).projection, 'equirect', 'without parameters the JSON is obeyed');
  t.not(await look(wrong.page, 90, 0), 'right (left eye)', 'and a cubemap shown as equirect is wrong to the right');
  t.not(await look(wrong.page, -90, 0), 'left (left eye)', 'and to the left');
  t.equal(await statsLayout(wrong.page), 'equirect, mono (stream)');

  const fixed = await watch('cube-wrong.m3u8', { projection: 'cubemap', yaw: '-90' });
  t.teardown(() => fixed.close());
  t.same(await layoutOf(fixed.page), { projection: 'cubemap', stereo: 'mono', view: { yaw: -90, pitch: 0 } });
  t.equal(seen(await centreColour(fixed.page)), 'left (left eye)', 'starts at the yaw from the link');
  await checkAllDirections(t, fixed.page, 'left');
  t.equal(await statsLayout(fixed.page), 'cubemap, mono, starts at yaw -90° pitch 0° (link + stream)', 'the stats overlay shows the layout');
  noErrors(t, wrong, fixed);
});
