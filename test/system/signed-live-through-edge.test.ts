// Playback tokens end to end: real ffmpeg publishes into the origin, the edge checks and strips the
// token, and hls.js in headless Chromium plays from one signed master URL: every playlist and segment
// it resolves relative to that URL carries the token in its path, which is why unsigned media (403 at
// the edge) never stops it.
import t from 'tap';
import { resolve } from 'node:path';
import { startEdgeProcess } from '../edge/edge-harness';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { launchChromium, openPage, playerUrl, waitForPlayback } from '../player/browser';
import { signedPrefix } from '../../src/shared/playback/playback-token';

const SECRET = 'system-test-playback-secret-0123456789';
const ORIGIN_SECRET = 'system-test-origin-secret';

t.test('hls.js plays a signed live stream through the edge; unsigned media is refused', async (t) => {
  const shared = { PLAYBACK_HMAC_SECRET: SECRET, ORIGIN_SECRET, ORIGIN_SECRET_HEADER: 'x-origin-verify' };
  const origin = await startOrigin(t, { ...shared, RECORD: 'off' });
  const edge = await startEdgeProcess(t, { ...shared, ORIGINS: origin.url(''), PUBLIC_DIR: resolve('public') });
  publish(t, origin.rtmp('live360'), { size: '640x320' });
  const signed = signedPrefix(SECRET, { prefix: '/hls/live360', expires: Math.floor(Date.now() / 1000) + 600 });
  await waitFor('signed master through the edge', async () => ((await fetch(`${edge.url}${signed}.m3u8`)).ok ? true : undefined));

  const unsigned = await fetch(`${edge.url}/hls/live360.m3u8`);
  t.equal(unsigned.status, 403);
  t.equal(unsigned.headers.get('x-media-error'), 'SC_ERR_PLAYBACK_TOKEN_MISSING');
  const direct = await fetch(origin.url('/hls/live360.m3u8'));
  t.equal(direct.status, 403, 'the origin refuses direct unsigned access too');

  // The index's live list: /stat through the edge names a signed master, which plays.
  const stat = await (await fetch(`${edge.url}/stat?format=json`)).json();
  const master: string = stat.streams[0].master;
  t.match(master, /^\/t\/[^/]+\/hls\/live360\.m3u8$/, 'the index links a signed master');
  t.equal((await fetch(`${edge.url}${master}`)).status, 200);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const session = await openPage(browser);
  t.teardown(() => session.close());
  const media: Array<{ url: string; status: number }> = [];
  session.page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (/\.(m3u8|m4s|mp4|ts|json)$/.test(path) && !path.endsWith('.html')) media.push({ url: path, status: r.status() });
  });
  await session.page.goto(playerUrl(edge.url + '/', `${signed}.m3u8`, { live: '1' }), { waitUntil: 'load' });
  const played = await waitForPlayback(session.page, 3);
  t.ok(played.to - played.from >= 3, `currentTime advanced from ${played.from} to ${played.to}`);
  t.same(session.pageErrors.map(String), [], 'no uncaught page errors');
  const segments = media.filter((m) => /\.m4s$/.test(m.url));
  t.ok(segments.length > 0, `hls.js fetched ${segments.length} parts or segments`);
  const tokenPath = signed.slice(0, signed.lastIndexOf('/hls/'));
  const unsignedMedia = media.filter((m) => !m.url.startsWith(tokenPath));
  t.same(unsignedMedia, [], 'every playlist, init segment, part and layout the player fetched inherited the token');
  // The player asks whether the stream has viewport renditions (LIVE_VIEWPORT_RENDITIONS is off here): a 404 answers no.
  const probe = (m: { url: string }) => m.url.endsWith('.viewport.json');
  t.same(media.filter((m) => probe(m) && m.status !== 404), [], 'the viewport listing probe, signed, finds none');
  t.same(media.filter((m) => !probe(m) && m.status !== 200 && m.status !== 206), [], 'and every other request was answered');
});
