// The live path end to end: real ffmpeg publishes into the origin, the edge caches it, headless
// Chromium plays it in the 360 player served by the edge.
import t from 'tap';
import { resolve } from 'node:path';
import { parseMediaPlaylist } from '../../src/shared/hls-playlist';
import { startEdgeProcess } from '../edge/edge-harness';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { checkPlayback, launchChromium, playerUrl } from '../player/browser';

t.test('a live stream plays through the edge, and the edge shields the origin', async (t) => {
  const origin = await startOrigin(t);
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url(''), PUBLIC_DIR: resolve('public') });
  publish(t, origin.rtmp('live360'), { size: '640x320' });
  await waitFor('master through the edge', async () => ((await fetch(`${edge.url}/hls/live360.m3u8`)).ok ? true : undefined));

  const variant = parseMediaPlaylist(await (await fetch(`${edge.url}/hls/live360_1280/index.m3u8`)).text());
  const seg = `${edge.url}/hls/live360_1280/${variant.segments[0].uri}`;
  const first = await fetch(seg);
  await first.arrayBuffer();
  const again = await fetch(seg);
  await again.arrayBuffer();
  t.equal(again.headers.get('x-media-cache-status'), 'HIT', 'a segment is served from the edge cache the second time');

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const result = await checkPlayback(browser, playerUrl(edge.url + '/', '/hls/live360.m3u8', { live: '1' }), 3);
  t.teardown(() => result.session.close());
  t.ok(result.to - result.from >= 3, `currentTime advanced from ${result.from} to ${result.to}`);
  t.equal(result.scenes, 1, 'inside an a-scene');
  t.same(result.pageErrors, [], 'no uncaught page errors');
  t.ok(result.nonBlank, 'the screenshot is not blank');

  const stat = await (await fetch(origin.url('/stat?format=json'))).json();
  t.equal(stat.streams[0].name, 'live360');
});
