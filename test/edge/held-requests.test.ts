import t from 'tap';
import { HeldRequests } from '../../src/edge/held-requests';

const playlist = (td: number, hint: string) =>
  Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:${td}\n#EXT-X-PART-INF:PART-TARGET=0.2\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:1.0,\n5.m4s\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${hint}"\n`);

t.test('blocking reloads and the hinted part wait three target durations plus the usual timeout', async (t) => {
  const held = new HeldRequests({ baseTimeoutMs: 10_000, maxHoldMs: 30_000 });
  t.equal(held.timeoutMs('/live/a/index.m3u8?_HLS_msn=6'), 40_000, 'an unknown playlist: the cap');
  t.equal(held.timeoutMs('/live/a/6.2.m4s'), undefined, 'an unknown part is an ordinary request');
  held.learn('/live/a/index.m3u8?_HLS_msn=6&_HLS_part=1', playlist(2, '6.2.m4s'));
  t.equal(held.timeoutMs('/live/a/index.m3u8?_HLS_msn=6&_HLS_part=3'), 16_000);
  t.equal(held.timeoutMs('/live/a/6.2.m4s'), 16_000, 'the hinted part, resolved against the playlist');
  t.equal(held.timeoutMs('/live/a/index.m3u8'), undefined, 'a plain playlist request is not held');
  t.equal(held.timeoutMs('/live/a/index.m3u8?_HLS_skip=YES'), undefined);
  held.learn('/live/b/index.m3u8', playlist(20, '/other/b/next.m4s?x=1'));
  t.equal(held.timeoutMs('/live/b/index.m3u8?_HLS_msn=1'), 40_000, 'three target durations, at most UPSTREAM_HOLD_MAX');
  t.equal(held.timeoutMs('/other/b/next.m4s'), 40_000, 'an absolute-path hint, by its cache key');
  held.learn('/live/c/index.m3u8', playlist(1, 'http://elsewhere.example/c/next.m4s'));
  t.equal(held.timeoutMs('/c/next.m4s'), undefined, 'a hint on another host is not ours');
});

t.test('memory is bounded: the oldest playlists are forgotten', async (t) => {
  const held = new HeldRequests({ baseTimeoutMs: 1000, maxHoldMs: 9000 });
  for (let i = 0; i <= 10_000; i++) held.learn(`/s${i}/index.m3u8`, playlist(1, 'n.m4s'));
  t.equal(held.timeoutMs('/s0/index.m3u8?_HLS_msn=1'), 10_000, 'the first is forgotten (the cap again)');
  t.equal(held.timeoutMs('/s0/n.m4s'), undefined);
  t.equal(held.timeoutMs('/s10000/index.m3u8?_HLS_msn=1'), 4000);
  held.learn('/big/index.m3u8', Buffer.alloc(2 * 1024 * 1024, 0x23));
  t.equal(held.timeoutMs('/big/index.m3u8?_HLS_msn=1'), 10_000, 'an oversized playlist is not read');
});
