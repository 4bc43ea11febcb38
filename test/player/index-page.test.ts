// The index page lists live streams from the origin's /stat JSON and VOD assets from the VOD listing, linked to
// the player, and stays friendly when the listings are empty or missing.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

t.test('each live stream and VOD asset shows its thumbnail, title, date, duration, resolution, layout and renditions', async (t) => {
  // A VOD asset as the transcoder leaves it: playlists, the poster and the card beside the master.
  const asset = join(dir, 'cam-1764100000');
  await mkdir(asset, { recursive: true });
  const jpeg = (path: string, colour: string) =>
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=${colour}:s=480x270`, '-frames:v', '1', path]);
  jpeg(join(asset, 'MANIFEST.jpg'), 'red');
  jpeg(join(dir, 'live.jpg'), 'blue');
  await writeFile(join(asset, 'MANIFEST.M3U8'), '#EXTM3U\n');
  await writeFile(join(asset, 'asset.json'), JSON.stringify({
    version: 1, title: 'cam', recordedAt: '2025-11-25T19:46:40.000Z', publishedAt: '2025-11-25T20:00:00.000Z', duration: 3723,
    width: 3840, height: 1920, layout: { projection: 'equirect', stereo: 'top-bottom' },
    renditions: [{ name: '1080p', width: 2160, height: 1080, bandwidth: 6e6 }, { name: '540p', width: 1080, height: 540, bandwidth: 2e6 }],
    master: 'MANIFEST.M3U8', poster: 'MANIFEST.jpg',
  }));
  const server = await startPlayerServer({
    mediaDir: dir,
    routes: (app) => {
      app.get('/stat', async () => ({
        streams: [{
          name: 'vr180', master: '/hls/vr180.m3u8', startedAt: '2026-11-26T11:00:00.000Z', uptimeSeconds: 95, thumbnail: '/media/live.jpg?t=1',
          video: { width: 4096, height: 2048, codec: 'avc1.640033' }, layout: { projection: 'equirect180', stereo: 'side-by-side', view: { yaw: 0, pitch: 0 } },
        }],
      }));
      app.get('/vod/index.json', async () => ({ assets: [{ name: 'cam-1764100000', master: '/media/cam-1764100000/MANIFEST.M3U8' }, { name: 'old', master: '/media/vod.m3u8' }] }));
    },
  });
  t.teardown(() => server.close());
  const session = await openPage(browser, server.publicBase);
  t.teardown(() => session.close());
  const { page } = session;

  const live = page.locator('#live-list .sc-entry');
  await live.locator('img.sc-entry-img').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#live-list img')].every((i) => i.complete && i.naturalWidth > 0));
  t.equal(await live.locator('img').evaluate((i: HTMLImageElement) => [i.naturalWidth, i.naturalHeight].join('x')), '480x270', 'the live thumbnail is shown');
  t.equal(await live.locator('.sc-entry-name').textContent(), 'vr180');
  t.equal(await live.locator('time.sc-entry-date').getAttribute('datetime'), '2026-11-26T11:00:00.000Z');
  t.match(await live.locator('time.sc-entry-date').textContent(), /^Started .*2026/);
  t.equal(await live.locator('.sc-entry-duration').textContent(), '1:35');
  t.equal(await live.locator('.sc-entry-layout').textContent(), '180° · 3D side-by-side');
  t.match(await live.locator('.sc-entry-meta').textContent(), /4096×2048/);
  t.equal(await live.locator('.sc-entry-renditions').textContent(), '1 rendition: 4096×2048');

  const vod = page.locator('#vod-list .sc-entry', { hasText: 'cam' });
  await vod.locator('img.sc-entry-img').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#vod-list img')].every((i) => i.complete && i.naturalWidth > 0));
  t.equal(await vod.locator('img').evaluate((i: HTMLImageElement) => new URL(i.src).pathname), '/media/cam-1764100000/MANIFEST.jpg', 'the poster beside the master');
  t.equal(await vod.locator('img').evaluate((i: HTMLImageElement) => i.naturalWidth), 480, 'and it loaded');
  t.equal(await vod.locator('.sc-entry-name').textContent(), 'cam', 'the stream name as title');
  t.equal(await vod.locator('time.sc-entry-date').getAttribute('datetime'), '2025-11-25T19:46:40.000Z');
  t.match(await vod.locator('time.sc-entry-date').textContent(), /^Recorded .*2025/);
  t.equal(await vod.locator('.sc-entry-duration').textContent(), '1:02:03');
  t.equal(await vod.locator('.sc-entry-layout').textContent(), '360° · 3D top-bottom');
  t.equal(await vod.locator('.sc-entry-meta').textContent(), '3840×1920');
  t.equal(await vod.locator('.sc-entry-renditions').textContent(), '2 renditions: 2160×1080, 1080×540');
  t.equal(await vod.getAttribute('href'), `player.html?url=${encodeURIComponent('/media/cam-1764100000/MANIFEST.M3U8')}`);

  const old = page.locator('#vod-list .sc-entry', { hasText: 'old' });
  t.equal(await old.locator('img').count(), 0, 'an asset without a card is listed by name, without a picture');
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
