// The edge in-process with a ManualClock, in front of real counting upstream servers:
// TTL behaviour without waiting for real time.
import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import { client, deadPort, startEdgeInProcess, startUpstream, sleep } from './edge-harness';

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n';

t.test('a playlist is refetched after its TTL and not before', async (t) => {
  const up = await startUpstream(t, { '/hls/test.m3u8': { body: PLAYLIST, headers: { 'content-type': 'application/vnd.apple.mpegurl' } } });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, PLAYLIST_TTL: '3' }, clock);
  const get = client(t);
  t.equal((await get(`${url}/hls/test.m3u8`)).headers['x-media-cache-status'], 'MISS');
  clock.advance(2999);
  const hit = await get(`${url}/hls/test.m3u8`);
  t.equal(hit.headers['x-media-cache-status'], 'HIT');
  t.equal(hit.headers.age, '2');
  t.equal(up.count('/hls/test.m3u8'), 1, 'not refetched within the TTL');
  clock.advance(1);
  const again = await get(`${url}/hls/test.m3u8`);
  t.equal(again.headers['x-media-cache-status'], 'EXPIRED');
  t.equal(up.count('/hls/test.m3u8'), 2, 'refetched at the TTL');
  t.equal(again.body.toString(), PLAYLIST);
});

t.test('segments keep their longer TTL', async (t) => {
  const up = await startUpstream(t, { '/hls/test-1.ts': { body: 'segment' }, '/hls/test.m3u8': { body: PLAYLIST } });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, PLAYLIST_TTL: '3', SEGMENT_TTL: '900' }, clock);
  const get = client(t);
  await get(`${url}/hls/test-1.ts`);
  await get(`${url}/hls/test.m3u8`);
  clock.advance(899_000);
  t.equal((await get(`${url}/hls/test-1.ts`)).headers['x-media-cache-status'], 'HIT');
  t.equal((await get(`${url}/hls/test.m3u8`)).headers['x-media-cache-status'], 'EXPIRED');
  clock.advance(1000);
  t.equal((await get(`${url}/hls/test-1.ts`)).headers['x-media-cache-status'], 'EXPIRED');
  t.equal(up.count('/hls/test-1.ts'), 2);
});

t.test("the origin's Cache-Control is honoured: max-age, and no-store bypasses the cache", async (t) => {
  const up = await startUpstream(t, {
    '/a.ts': { body: 'a', headers: { 'cache-control': 'max-age=10' } },
    '/b.ts': { body: 'b', headers: { 'cache-control': 'no-store' } },
  });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, clock);
  const get = client(t);
  const first = await get(`${url}/a.ts`);
  t.equal(first.headers['cache-control'], 'max-age=10', 'Cache-Control passed on to the client tier');
  clock.advance(9999);
  t.equal((await get(`${url}/a.ts`)).headers['x-media-cache-status'], 'HIT');
  clock.advance(1);
  t.equal((await get(`${url}/a.ts`)).headers['x-media-cache-status'], 'EXPIRED');
  t.equal((await get(`${url}/b.ts`)).headers['x-media-cache-status'], 'BYPASS');
  t.equal((await get(`${url}/b.ts`)).headers['x-media-cache-status'], 'BYPASS');
  t.equal(up.count('/b.ts'), 2);
});

t.test('a 404 playlist does not stick; a 404 segment is kept for ERROR_TTL only', async (t) => {
  const up = await startUpstream(t, {});
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, ERROR_TTL: '2' }, clock);
  const get = client(t);
  t.equal((await get(`${url}/hls/new.m3u8`)).status, 404);
  up.routes.set('/hls/new.m3u8', { body: PLAYLIST });
  const now = await get(`${url}/hls/new.m3u8`);
  t.equal(now.status, 200, 'the playlist is served as soon as the origin has it');
  t.equal(now.headers['x-media-cache-status'], 'MISS');

  t.equal((await get(`${url}/hls/new-1.ts`)).status, 404);
  up.routes.set('/hls/new-1.ts', { body: 'seg' });
  const cached404 = await get(`${url}/hls/new-1.ts`);
  t.same([cached404.status, cached404.headers['x-media-cache-status']], [404, 'HIT']);
  clock.advance(2000);
  t.equal((await get(`${url}/hls/new-1.ts`)).status, 200);
});

t.test('every origin down: cached segments are served STALE, uncached objects and playlists get 503 with a code and Retry-After', async (t) => {
  const up = await startUpstream(t, { '/hls/s-1.ts': { body: 'seg-1' }, '/hls/live.m3u8': { body: PLAYLIST } });
  const clock = new ManualClock();
  const { url, edge } = await startEdgeInProcess(t, { ORIGINS: up.url, SEGMENT_TTL: '10', STALE_IF_ERROR: '60' }, clock);
  const get = client(t);
  await get(`${url}/hls/s-1.ts`);
  await get(`${url}/hls/live.m3u8`);
  await up.close();
  clock.advance(10_000);
  const stale = await get(`${url}/hls/s-1.ts`);
  t.same([stale.status, stale.headers['x-media-cache-status'], stale.body.toString(), stale.headers.age], [200, 'STALE', 'seg-1', '10']);
  t.equal(stale.headers.warning, undefined, 'no Warning header (obsoleted by RFC 9111)');
  t.equal(edge.status().origins[0]!.up, false, 'the refused connection marked the origin down');
  const missing = await get(`${url}/hls/s-2.ts`);
  t.same([missing.status, missing.headers['x-media-error'], missing.headers['cache-control']], [503, 'SC_ERR_ORIGINS_DOWN', 'no-store']);
  t.match(missing.headers['retry-after'], /^[1-9]\d*$/);
  t.match(missing.body.toString(), /SC_ERR_ORIGINS_DOWN/);
  const playlist = await get(`${url}/hls/live.m3u8`);
  t.equal(playlist.status, 503, 'a playlist 10 s past its TTL is never served');
  t.equal(playlist.headers['x-media-cache-status'], 'EXPIRED');
  clock.advance(60_000);
  t.equal((await get(`${url}/hls/s-1.ts`)).status, 503, 'not beyond STALE_IF_ERROR');
  t.equal(edge.status().stale, 1);
});

t.test('stale-while-revalidate serves UPDATING and refreshes in the background', async (t) => {
  const up = await startUpstream(t, { '/hls/s.ts': { body: 'v1' } });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, SEGMENT_TTL: '10', STALE_WHILE_REVALIDATE: '30' }, clock);
  const get = client(t);
  await get(`${url}/hls/s.ts`);
  up.routes.set('/hls/s.ts', { body: 'v2', delayMs: 100 });
  clock.advance(10_000);
  const updating = await get(`${url}/hls/s.ts`);
  t.same([updating.headers['x-media-cache-status'], updating.body.toString()], ['UPDATING', 'v1'], 'answered at once from the old copy');
  for (let i = 0; i < 50 && up.count('/hls/s.ts') < 2; i++) await sleep(20);
  await sleep(150);
  const fresh = await get(`${url}/hls/s.ts`);
  t.same([fresh.headers['x-media-cache-status'], fresh.body.toString()], ['HIT', 'v2']);
  t.equal(up.count('/hls/s.ts'), 2);
});

t.test('the byte bound evicts the least recently used objects', async (t) => {
  const seg = Buffer.alloc(40 * 1024, 7);
  const up = await startUpstream(t, { '/1.ts': { body: seg }, '/2.ts': { body: seg }, '/3.ts': { body: seg } });
  const { url, edge } = await startEdgeInProcess(t, { ORIGINS: up.url, CACHE_MAX_BYTES: '100K' }, new ManualClock());
  const get = client(t);
  await get(`${url}/1.ts`);
  await get(`${url}/2.ts`);
  await get(`${url}/1.ts`);
  await get(`${url}/3.ts`);
  t.equal(edge.status().cache.objects, 2);
  t.ok(edge.status().cache.bytes <= 100 * 1024);
  t.equal((await get(`${url}/1.ts`)).headers['x-media-cache-status'], 'HIT', 'recently used survives');
  t.equal((await get(`${url}/2.ts`)).headers['x-media-cache-status'], 'MISS', 'least recently used was evicted');
});

t.test('an uncached request to a dead origin fails fast with 502', async (t) => {
  const { url } = await startEdgeInProcess(t, { ORIGINS: `http://127.0.0.1:${await deadPort()}` }, new ManualClock());
  const res = await client(t)(`${url}/x.ts`);
  t.equal(res.status, 502);
  t.equal(res.headers['x-media-cache-status'], 'MISS');
  t.equal(res.headers['cache-control'], 'no-store');
});

t.test('an expired object with validators is revalidated: a 304 renews the copy without its body', async (t) => {
  const up = await startUpstream(t, { '/vod/seg-1.ts': { body: 'segment one', headers: { etag: '"v1"', 'cache-control': 'max-age=10', 'content-type': 'video/mp2t' } } });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, clock);
  const get = client(t);
  t.equal((await get(`${url}/vod/seg-1.ts`)).headers['x-media-cache-status'], 'MISS');
  clock.advance(10_000);
  const renewed = await get(`${url}/vod/seg-1.ts`);
  t.same([renewed.status, renewed.headers['x-media-cache-status'], renewed.body.toString(), renewed.headers['content-type'], renewed.headers.etag], [200, 'EXPIRED', 'segment one', 'video/mp2t', '"v1"']);
  t.equal(up.lastHeaders['if-none-match'], '"v1"', 'the edge sent its validator');
  clock.advance(9_000);
  t.equal((await get(`${url}/vod/seg-1.ts`)).headers['x-media-cache-status'], 'HIT', 'the 304 gave the copy a new TTL');
  t.equal(up.count('/vod/seg-1.ts'), 2);

  // A changed object answers 200 to the validator, and the new body replaces the old.
  up.routes.set('/vod/seg-1.ts', { body: 'segment one, re-encoded', headers: { etag: '"v2"', 'cache-control': 'max-age=10' } });
  clock.advance(1_000);
  const changed = await get(`${url}/vod/seg-1.ts`);
  t.same([changed.headers['x-media-cache-status'], changed.body.toString(), changed.headers.etag], ['EXPIRED', 'segment one, re-encoded', '"v2"']);
});
