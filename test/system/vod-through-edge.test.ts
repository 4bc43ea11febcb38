// The VOD path end to end: the transcoder's output (its `transcode` contract) is served by the
// origin at /vod/, listed in /vod/index.json, and plays in the player through the edge.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEdgeProcess } from '../edge/edge-harness';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { checkPlayback, launchChromium, openPage, playerUrl } from '../player/browser';
import { makeClip, runTranscoder, SMALL_LADDER } from '../transcoder/harness';

t.test('a transcoded asset plays through the edge and the index lists live and VOD', async (t) => {
  const egress = mkdtempSync(join(tmpdir(), 'sc-vod-'));
  t.teardown(() => rmSync(egress, { recursive: true, force: true }));
  const clip = await makeClip(join(egress, 'source.mp4'), { width: 640, height: 320, seconds: 8 });
  const done = await runTranscoder(['transcode', clip, join(egress, 'clip360')], { LADDER: SMALL_LADDER, LADDER_360: SMALL_LADDER, SEGMENT_SECONDS: '2' });
  t.equal(done.code, 0, 'transcode succeeded');

  const origin = await startOrigin(t, { EGRESS: egress });
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url(''), PUBLIC_DIR: resolve('public') });
  const listing = await (await fetch(`${edge.url}/vod/index.json`)).json();
  t.same(listing.assets, [{ name: 'clip360', master: '/vod/clip360/MANIFEST.M3U8' }]);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const vod = await checkPlayback(browser, playerUrl(edge.url + '/', '/vod/clip360/MANIFEST.M3U8'), 3);
  t.teardown(() => vod.session.close());
  t.ok(vod.to - vod.from >= 3, `VOD currentTime advanced from ${vod.from} to ${vod.to}`);
  t.equal(vod.scenes, 1);
  t.same(vod.pageErrors, []);
  t.ok(vod.nonBlank);

  publish(t, origin.rtmp('cam360'), { size: '640x320' });
  await waitFor('live master', async () => ((await fetch(`${edge.url}/hls/cam360.m3u8`)).ok ? true : undefined));
  const index = await openPage(browser, `${edge.url}/index.html`);
  t.teardown(() => index.close());
  const live = index.page.locator('a[href*="cam360"]');
  await live.first().waitFor({ timeout: 30_000 });
  t.match(await live.first().getAttribute('href'), /player\.html\?.*url=.*cam360\.m3u8/);
  const vodLink = index.page.locator('a[href*="clip360"]');
  await vodLink.first().waitFor({ timeout: 30_000 });
  t.pass('the index lists the live stream and the VOD asset');
});
