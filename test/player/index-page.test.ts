// The index page lists live streams from the origin's /stat JSON and VOD assets from the VOD listing, linked to
// the player, and stays friendly when the listings are empty or missing.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openPage, waitForPlayback } from './browser';
import { makeVod } from './hls-media';
import { ensurePlayerBuilt, startPlayerServer } from './player-server';

let dir: string;
let browser: Browser;

t.before(async () => {
  ensurePlayerBuilt();
  dir = await mkdtemp(join(tmpdir(), 'sc-player-index-'));
  await makeVod(dir, 6);
  browser = await launchChromium();
});

t.teardown(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

t.test('lists the live streams from /stat and links each to the player, which plays it', async (t) => {
  let statQueries = 0;
  const server = await startPlayerServer({
    mediaDir: dir,
    routes: (app) => {
      app.get('/stat', async (req, reply) => {
        statQueries++;
        const q = req.query as { format?: string };
        if (q.format !== 'json' && !String(req.headers.accept).includes('application/json')) return reply.type('text/xml').send('<rtmp/>');
        return {
          streams: [
            { name: 'cam1', master: '/media/vod.m3u8', video: { width: 640, height: 320, codec: 'H264' }, audio: { codec: 'AAC' }, clients: 2, uptimeSeconds: 75 },
            // Tolerated: an entry with nothing but a name gets the origin's default playlist path.
            { name: 'bare' },
            { master: '/hls/nameless.m3u8' },
          ],
        };
      });
      app.get('/vod/index.json', async () => ({ assets: [{ name: 'recorded-1', master: '/media/vod.m3u8' }] }));
    },
  });
  t.teardown(() => server.close());
  const session = await openPage(browser, server.publicBase);
  t.teardown(() => session.close());
  const { page } = session;

  const live = page.locator('#live-list a');
  await live.first().waitFor();
  t.same(await page.locator('#live-list .sc-entry-name').allTextContents(), ['bare', 'cam1'], 'entries without a name are skipped');
  const cam = page.locator('#live-list a', { hasText: 'cam1' });
  t.equal(await cam.getAttribute('href'), 'player.html?url=%2Fmedia%2Fvod.m3u8&live=1', 'links to the player, relative');
  t.match(await cam.textContent(), /640×320.*H264 \+ AAC.*2 watching.*live for 1m 15s/, 'shows what the origin says about it');
  t.equal(
    await page.locator('#live-list a', { hasText: 'bare' }).getAttribute('href'),
    'player.html?url=%2Fhls%2Fbare.m3u8&live=1',
    'a stream without a master path gets /hls/<name>.m3u8',
  );
  t.equal(await page.locator('#live-status').isVisible(), false, 'no "no live streams" note');
  t.equal(await page.locator('#vod-list a').getAttribute('href'), 'player.html?url=%2Fmedia%2Fvod.m3u8');
  t.ok(statQueries > 0, 'the page asked /stat');

  await cam.click();
  await page.waitForURL(/\/site\/player\/player\.html\?url=/);
  const played = await waitForPlayback(page, 1);
  t.ok(played.to > played.from, 'the linked player plays the stream');
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('says "no live streams" and "no VOD assets" when the listings are missing', async (t) => {
  const server = await startPlayerServer({ mediaDir: dir });
  t.teardown(() => server.close());
  const session = await openPage(browser, `${server.publicBase}index.html`);
  t.teardown(() => session.close());
  const { page } = session;
  await page.waitForFunction(() => !/Loading/.test(document.getElementById('live-status')!.textContent ?? ''));
  await page.waitForFunction(() => !/Loading/.test(document.getElementById('vod-status')!.textContent ?? ''));
  t.match(await page.locator('#live-status').textContent(), /No live streams right now.*HTTP 404/);
  t.match(await page.locator('#vod-status').textContent(), /No VOD assets yet.*HTTP 404/);
  t.equal(await page.locator('#live-list a').count(), 0);
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
});

t.test('the listing URLs are chosen with ?stat= and ?vod=, and an empty listing says so', async (t) => {
  const server = await startPlayerServer({
    mediaDir: dir,
    routes: (app) => {
      app.get('/other/stat.json', async () => ({ streams: [{ name: 'elsewhere', master: 'http://example.invalid/hls/elsewhere.m3u8' }] }));
      app.get('/other/vod.json', async () => ({ assets: [] }));
    },
  });
  t.teardown(() => server.close());
  const session = await openPage(browser, `${server.publicBase}?stat=/other/stat.json&vod=/other/vod.json`);
  t.teardown(() => session.close());
  const { page } = session;
  const link = page.locator('#live-list a');
  await link.waitFor();
  t.equal(await link.getAttribute('href'), `player.html?url=${encodeURIComponent('http://example.invalid/hls/elsewhere.m3u8')}&live=1`, 'another host stays absolute');
  await page.waitForFunction(() => !/Loading/.test(document.getElementById('vod-status')!.textContent ?? ''));
  t.equal(await page.locator('#vod-status').textContent(), 'No VOD assets yet.');
});

t.test('a reference-style link (index.html?url=...) opens the player', async (t) => {
  const server = await startPlayerServer({ mediaDir: dir });
  t.teardown(() => server.close());
  const session = await openPage(browser, `${server.publicBase}?url=/media/vod.m3u8`);
  t.teardown(() => session.close());
  await session.page.waitForURL(/\/site\/player\/player\.html\?url=\/media\/vod\.m3u8$/);
  const played = await waitForPlayback(session.page, 1);
  t.ok(played.to > played.from, 'plays');
});
