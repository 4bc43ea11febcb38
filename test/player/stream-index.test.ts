import t from 'tap';
import { assetCardUrl, formatDuration, formatUptime, layoutLabel, layoutOf, parseAssetCard, parseStat, parseVodIndex, playerLink } from '../../src/player/stream-index';

const stat = 'http://origin.test:8080/stat?format=json';

t.test('reads streams from /stat, resolving master paths against the stat URL', async (t) => {
  const entries = parseStat(
    { streams: [{ name: 'test', master: '/hls/test.m3u8', video: { width: 1920, height: 960, codec: 'H264' }, audio: { codec: 'AAC' }, clients: 3, uptimeSeconds: 3700 }] },
    stat,
  );
  t.same(entries, [
    { name: 'test', url: 'http://origin.test:8080/hls/test.m3u8', resolution: '1920×960', codecs: 'H264 + AAC', viewers: 3, uptimeSeconds: 3700, startedAt: undefined, thumbnail: undefined, layout: undefined },
  ]);
});

t.test('reads the start time, thumbnail and layout of each stream from /stat', async (t) => {
  const [e] = parseStat(
    { streams: [{ name: 'vr', startedAt: '2026-11-26T12:00:00.000Z', thumbnail: '/hls/vr.jpg?t=5', layout: { projection: 'equirect180', stereo: 'side-by-side', view: { yaw: 30, pitch: 0 } } }] },
    stat,
  );
  t.equal(e.startedAt, '2026-11-26T12:00:00.000Z');
  t.equal(e.thumbnail, 'http://origin.test:8080/hls/vr.jpg?t=5');
  t.same(e.layout, { projection: 'equirect180', stereo: 'side-by-side', view: { yaw: 30, pitch: 0 } });
  const [bad] = parseStat({ streams: [{ name: 'x', startedAt: 'yesterday', thumbnail: 'javascript:alert(1)', layout: { projection: 'sphere', stereo: 'mono' } }] }, stat);
  t.same([bad.startedAt, bad.thumbnail, bad.layout], [undefined, undefined, undefined], 'bad values are left out');
});

t.test('reads an asset card: title, date, duration, size, layout, renditions and the poster beside it', async (t) => {
  const url = assetCardUrl('https://cdn.test/vod/cam-1/MANIFEST.M3U8?x=1');
  t.equal(url, 'https://cdn.test/vod/cam-1/asset.json');
  const card = parseAssetCard(
    {
      version: 1, title: 'cam', recordedAt: '2025-11-25T19:46:40.000Z', publishedAt: '2026-01-01T00:00:00.000Z', duration: 3723.4,
      width: 3840, height: 1920, layout: { projection: 'equirect', stereo: 'top-bottom', yaw: 90, pitch: 0 },
      renditions: [{ width: 1920, height: 960 }, { width: 'x', height: 1 }, { width: 960, height: 480 }], master: 'MANIFEST.M3U8', poster: 'MANIFEST.jpg',
    },
    url,
  );
  t.same(card, {
    title: 'cam',
    date: { iso: '2025-11-25T19:46:40.000Z', kind: 'recorded' },
    durationSeconds: 3723.4,
    resolution: '3840×1920',
    layout: { projection: 'equirect', stereo: 'top-bottom', view: { yaw: 90, pitch: 0 } },
    renditions: ['1920×960', '960×480'],
    poster: 'https://cdn.test/vod/cam-1/MANIFEST.jpg',
  });
  t.same(parseAssetCard({ publishedAt: '2026-01-01T00:00:00Z' }, url).date, { iso: '2026-01-01T00:00:00.000Z', kind: 'published' });
  t.same(parseAssetCard('junk', url), { title: undefined, date: undefined, durationSeconds: undefined, resolution: undefined, layout: undefined, renditions: [], poster: undefined });
  t.equal(parseAssetCard({ poster: 'javascript:alert(1)' }, url).poster, undefined);
  t.equal(parseAssetCard({ renditions: Array.from({ length: 100 }, () => ({ width: 2, height: 2 })) }, url).renditions.length, 16, 'bounded');
});

t.test('layouts and durations read naturally', async (t) => {
  t.equal(layoutLabel({ projection: 'equirect', stereo: 'mono' }), '360°');
  t.equal(layoutLabel({ projection: 'equirect180', stereo: 'side-by-side' }), '180° · 3D side-by-side');
  t.equal(layoutLabel({ projection: 'flat', stereo: 'mono' }), 'flat');
  t.equal(formatDuration(42), '0:42');
  t.equal(formatDuration(3723.4), '1:02:03');
  t.equal(formatDuration(undefined), undefined);
  t.same(layoutOf({ projection: 'cubemap', stereo: 'mono', yaw: 500 }), { projection: 'cubemap', stereo: 'mono' }, 'an angle out of range is dropped');
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
