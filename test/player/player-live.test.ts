// The player plays a live sliding-window HLS stream that ffmpeg writes while the test runs, and waits for a live
// stream that has not started yet.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, looksNonBlank, openPlayer, playerUrl, screenshotVariety, shownMessage, waitForMessage, waitForPlayback } from './browser';
import { startLiveEncoder, type LiveEncoder } from './hls-media';
import { ensurePlayerBuilt, startPlayerServer, type PlayerServer } from './player-server';

let dir: string;
let server: PlayerServer;
let browser: Browser;
const encoders: LiveEncoder[] = [];

function live(name: string): LiveEncoder {
  const encoder = startLiveEncoder(dir, name);
  encoders.push(encoder);
  return encoder;
}

/** Resolves once ffmpeg has written the first playlist (the stream is "on air"). */
async function onAir(name: string, encoder: LiveEncoder): Promise<void> {
  const file = join(dir, `${name}.m3u8`);
  while (!existsSync(file)) {
    if (encoder.process.exitCode !== null) throw new Error(`ffmpeg for ${name} exited with ${encoder.process.exitCode}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.before(async () => {
  ensurePlayerBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sc-player-live-'));
  server = await startPlayerServer({ mediaDir: dir });
  browser = await launchChromium();
});

t.teardown(async () => {
  await Promise.all(encoders.map((e) => e.stop()));
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

t.test('a live sliding-window playlist plays, marked LIVE, with the live latency in the stats', async (t) => {
  const encoder = live('cam');
  t.teardown(() => encoder.stop());
  await onAir('cam', encoder);
  const session = await openPlayer(browser, playerUrl(server.publicBase, '/media/cam.m3u8'));
  t.teardown(() => session.close());
  const { page } = session;
  const played = await waitForPlayback(page, 3);
  t.ok(played.to - played.from >= 3, `currentTime advanced from ${played.from} to ${played.to}`);
  t.equal(await page.locator('a-scene').count(), 1, 'an a-scene is on the page');
  t.equal(await page.locator('#sc-live').isVisible(), true, 'the LIVE badge shows');
  await page.click('#sc-stats-button');
  const latency = page.locator('#sc-stats dd[data-stat="latency"]');
  await latency.waitFor({ state: 'visible' });
  await page.waitForFunction(() => /^\d+\.\d s$/.test(document.querySelector('#sc-stats dd[data-stat="latency"]')?.textContent ?? ''), null, { timeout: 10_000 });
  t.match(await latency.textContent(), /^\d+\.\d s$/, 'latency is shown in seconds');
  t.match(await page.locator('#sc-stats dd[data-stat="resolution"]').textContent(), '640×320', 'resolution is shown');
  t.match(await page.locator('#sc-stats dd[data-stat="buffer"]').textContent(), /^\d+\.\d s$/, 'buffer is shown');
  const variety = await screenshotVariety(page);
  t.ok(looksNonBlank(variety), `screenshot is not blank: ${JSON.stringify(variety)}`);
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('a live stream that has not started shows "waiting", then plays once it starts', async (t) => {
  const session = await openPlayer(browser, playerUrl(server.publicBase, '/media/later.m3u8', { live: '1' }));
  t.teardown(() => session.close());
  const { page } = session;
  const waiting = await waitForMessage(page, /waiting for the stream to start/i);
  t.equal(waiting.kind, 'waiting');
  t.equal(await page.locator('a-scene').count(), 1, 'the scene is there while waiting');

  const encoder = live('later');
  t.teardown(() => encoder.stop());
  const played = await waitForPlayback(page, 3);
  t.ok(played.to - played.from >= 3, `currentTime advanced from ${played.from} to ${played.to}`);
  t.equal(await shownMessage(page), null, 'the waiting message is gone');
  t.ok(looksNonBlank(await screenshotVariety(page)), 'the picture is on screen');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});
