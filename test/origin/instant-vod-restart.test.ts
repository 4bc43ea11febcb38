// Instant VODs survive the origin: a clean restart serves them again, and one a SIGKILL cut short
// mid-publish is finished from its journal on the next start (real origin processes, real ffmpeg).
import t from 'tap';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { listing, probeHls, publishFor } from './instant-vod-harness';
import { publish, startOrigin, waitFor } from './origin-harness';

t.test('a restart keeps instant VODs; one a SIGKILL cut short is finished from its journal', async (t) => {
  const first = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'off' });
  await publishFor(t, first, 'kept', 3);
  await waitFor('listed', async () => ((await listing(first.url(''))).length === 1 ? true : undefined));
  // A second publish is running when the origin is killed.
  publish(t, first.rtmp('cut'), { size: '320x180' });
  await waitFor('a few segments of the cut publish', async () => {
    const r = await fetch(first.url('/hls/cut_1280/index.m3u8'));
    return r.ok && ((await r.text()).match(/#EXTINF/g) ?? []).length >= 3 ? true : undefined;
  });
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));

  const second = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'off', MEDIA_DIR: first.mediaDir });
  const listed = await listing(second.url(''));
  t.same(listed.map((e) => e.name).sort(), ['cut', 'kept'], 'both are listed after the restart');
  for (const e of listed) {
    const p = parse(await (await fetch(second.url(e.master))).text()) as MediaPlaylist;
    t.equal(p.endlist, true, `${e.name}: ENDLIST`);
    t.equal(p.playlistType, 'VOD');
    const probe = probeHls(second.url(e.master));
    t.ok(probe.videoFrames >= 60, `${e.name}: ${probe.videoFrames} frames decode after the restart`);
  }
  t.match(second.log(), /finished from its journal/);
});

