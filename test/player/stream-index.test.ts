import t from 'tap';
import { formatUptime, parseStat, parseVodIndex, playerLink } from '../../src/player/stream-index';

const stat = 'http://origin.test:8080/stat?format=json';

t.test('reads streams from /stat, resolving master paths against the stat URL', async (t) => {
  const entries = parseStat(
    { streams: [{ name: 'test', master: '/hls/test.m3u8', video: { width: 1920, height: 960, codec: 'H264' }, audio: { codec: 'AAC' }, clients: 3, uptimeSeconds: 3700 }] },
    stat,
  );
  t.same(entries, [
    { name: 'test', url: 'http://origin.test:8080/hls/test.m3u8', resolution: '1920×960', codecs: 'H264 + AAC', viewers: 3, uptimeSeconds: 3700 },
  ]);
});

t.test('tolerates missing and wrong fields and bad entries', async (t) => {
  const entries = parseStat(
    { streams: [{ name: 'b c' }, null, 42, { master: '/hls/x.m3u8' }, { name: 'a', video: 'weird', clients: -1, uptimeSeconds: 'soon' }, { name: 'js', master: 'javascript:alert(1)' }] },
    stat,
  );
  t.same(
    entries.map((e) => [e.name, e.url, e.resolution, e.viewers, e.uptimeSeconds]),
    [
      ['a', 'http://origin.test:8080/hls/a.m3u8', undefined, undefined, undefined],
      ['b c', 'http://origin.test:8080/hls/b%20c.m3u8', undefined, undefined, undefined],
    ],
  );
  t.same(parseStat(null, stat), []);
  t.same(parseStat('<rtmp/>', stat), []);
  t.same(parseStat({}, stat), []);
  t.equal(parseStat([{ name: 'bare-array' }], stat).length, 1, 'a bare array is accepted');
});

t.test('reads the VOD listing; entries need a name and a master', async (t) => {
  const entries = parseVodIndex(
    { assets: [{ name: 'talk', master: '/vod/talk/MANIFEST.M3U8' }, { name: 'nomaster' }, { master: '/x.m3u8' }, { name: 'rel', master: 'rel/MANIFEST.M3U8' }] },
    'https://cdn.test/site/vod/index.json',
  );
  t.same(entries, [
    { name: 'rel', url: 'https://cdn.test/site/vod/rel/MANIFEST.M3U8' },
    { name: 'talk', url: 'https://cdn.test/vod/talk/MANIFEST.M3U8' },
  ]);
});

t.test('player links are relative; same-origin streams become path-absolute', async (t) => {
  t.equal(playerLink('https://edge.test/hls/a.m3u8', 'https://edge.test/some/prefix/', { live: true }), 'player.html?url=%2Fhls%2Fa.m3u8&live=1');
  t.equal(playerLink('http://origin.test:8080/hls/a.m3u8', 'https://edge.test/'), `player.html?url=${encodeURIComponent('http://origin.test:8080/hls/a.m3u8')}`);
});

t.test('uptime reads naturally', async (t) => {
  t.equal(formatUptime(42), '42s');
  t.equal(formatUptime(75), '1m 15s');
  t.equal(formatUptime(3700), '1h 1m');
  t.equal(formatUptime(undefined), undefined);
});

t.test('instant VODs: marked, with their start time and duration; publishes of one name newest first', async (t) => {
  const entries = parseVodIndex(
    {
      assets: [
        { name: 'cam', master: '/vod-live/cam/1700000000000/index.m3u8', kind: 'instant', startedAt: '2023-11-14T22:13:20.000Z', duration: 61.5 },
        { name: 'cam', master: '/vod-live/cam/1700000900000/index.m3u8', kind: 'instant', startedAt: '2023-11-14T22:28:20.000Z', duration: 'long' },
        { name: 'cam', master: '/vod-live/cam/1/index.m3u8', kind: 'instant', startedAt: 'yesterday' },
      ],
    },
    'https://edge.test/vod-live/index.json',
  );
  t.same(entries, [
    { name: 'cam', url: 'https://edge.test/vod-live/cam/1700000900000/index.m3u8', instant: true, startedAt: '2023-11-14T22:28:20.000Z' },
    { name: 'cam', url: 'https://edge.test/vod-live/cam/1700000000000/index.m3u8', instant: true, startedAt: '2023-11-14T22:13:20.000Z', duration: 61.5 },
    { name: 'cam', url: 'https://edge.test/vod-live/cam/1/index.m3u8', instant: true },
  ]);
});
