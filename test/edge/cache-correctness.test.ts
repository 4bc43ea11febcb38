// Cache correctness cases found by the HTTP caching test suite (cache-tests), each confirmed here
// against a small real origin (node:http on 127.0.0.1:0) through a real edge listening on a port.
// The edge runs in-process with a ManualClock so TTLs are checked without waiting.
import t, { type Test } from 'tap';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ManualClock } from '../../src/shared/clock';
import { client, rawRequest, startEdgeInProcess, startUpstream, type Upstream } from './edge-harness';

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg-1.ts\n';

/** Every value of one response header in a raw answer, one per field line. */
function fieldLines(raw: string, name: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l.toLowerCase().startsWith(`${name}:`))
    .map((l) => l.slice(name.length + 1).trim());
}

function statusOf(raw: string): number {
  return Number(raw.slice(9, 12));
}

const plainGet = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: edge\r\n${extra}\r\n`;

t.test('a Cache-Control sent on two field lines reaches the client as both, and a private or no-store on the second line is honoured', async (t) => {
  const up = await startUpstream(t, {
    '/hls/p.ts': { body: 'private segment', headers: { 'cache-control': ['max-age=60', 'private'] } },
    '/hls/n.ts': { body: 'no-store segment', headers: { 'cache-control': ['public, max-age=60', 'no-store'] } },
  });
  const { url, edge } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  for (const [path, second] of [['/hls/p.ts', 'private'], ['/hls/n.ts', 'no-store']] as const) {
    // A plain GET goes through the fast path; a Range request through the full path.
    const fast = await rawRequest(port, plainGet(path));
    t.same(fieldLines(fast, 'cache-control').slice(-1), [second], `${path}: the second line reaches the client (fast path)`);
    t.equal(fieldLines(fast, 'cache-control').length, 2);
    const full = await rawRequest(port, plainGet(path, 'Range: bytes=0-3\r\n'));
    t.equal(statusOf(full), 206);
    t.same(fieldLines(full, 'cache-control'), fieldLines(fast, 'cache-control'), `${path}: the same lines on the full path`);
    t.same(fieldLines(full, 'x-media-cache-status'), ['BYPASS']);
    t.equal(up.count(path), 2, `${path}: never served from the cache`);
  }
  t.equal(edge.status().cache.objects, 0);
});

/** A segment cached with `headers`, then revalidated by a 304 that repeats only the ETag, then every origin gone. */
async function staleAfterOriginLoss(t: Test, headers: Record<string, string | string[]>): Promise<{ failed: boolean; cacheStatus: string }> {
  const up: Upstream = await startUpstream(t, { '/vod/s.ts': { body: 'segment', headers: { etag: '"v1"', ...headers } } });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, STALE_IF_ERROR: '600', SEGMENT_TTL: '10' }, clock);
  const get = client(t);
  t.equal((await get(`${url}/vod/s.ts`)).headers['x-media-cache-status'], 'MISS');
  // An origin may send a 304 with only the validator: the stored Cache-Control still applies (RFC 9111 4.3.4).
  up.routes.set('/vod/s.ts', { body: 'segment', headers: { etag: '"v1"' } });
  clock.advance(10_000);
  const renewed = await get(`${url}/vod/s.ts`);
  t.same([renewed.status, renewed.headers['x-media-cache-status']], [200, 'EXPIRED'], 'revalidated by a 304');
  t.equal(up.count('/vod/s.ts'), 2);
  await up.close();
  clock.advance(10_000);
  const res = await get(`${url}/vod/s.ts`);
  return { failed: res.status >= 500, cacheStatus: res.headers['x-media-cache-status']! };
}

t.test('must-revalidate, proxy-revalidate and s-maxage: never served stale when the origin fails, also after a 304', async (t) => {
  const cases: Array<[string, string | string[]]> = [
    ['must-revalidate', 'max-age=10, must-revalidate'],
    ['proxy-revalidate', 'max-age=10, proxy-revalidate'],
    ['s-maxage', 's-maxage=10'],
    ['must-revalidate on a second line', ['max-age=10', 'must-revalidate']],
    ['s-maxage on a second line', ['public', 's-maxage=10']],
  ];
  for (const [name, cc] of cases) {
    await t.test(name, async (t) => {
      t.same(await staleAfterOriginLoss(t, { 'cache-control': cc }), { failed: true, cacheStatus: 'EXPIRED' }, 'the origin must be asked: an error, no stale copy');
    });
  }
  await t.test('without them a stale segment stands in (the control case)', async (t) => {
    t.same(await staleAfterOriginLoss(t, { 'cache-control': 'max-age=10' }), { failed: false, cacheStatus: 'STALE' });
  });
});

t.test('Expires: a past or invalid Expires is stale at once, a future one is the lifetime, max-age overrides it', async (t) => {
  const date = new Date(Date.now()).toUTCString();
  const inThirty = new Date(Date.parse(date) + 30_000).toUTCString();
  const past = new Date(Date.parse(date) - 60_000).toUTCString();
  const up = await startUpstream(t, {
    '/hls/past.ts': { body: 'p', headers: { date, expires: past } },
    '/hls/zero.ts': { body: 'z', headers: { date, expires: '0' } },
    '/hls/garbage.ts': { body: 'g', headers: { date, expires: 'tomorrow' } },
    '/hls/two.ts': { body: 't', headers: { date, expires: [inThirty, inThirty] } },
    '/hls/future.ts': { body: 'f', headers: { date, expires: inThirty } },
    '/hls/override.ts': { body: 'o', headers: { date, expires: past, 'cache-control': 'max-age=100' } },
  });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, SEGMENT_TTL: '900' }, clock);
  const get = client(t);
  for (const path of ['/hls/past.ts', '/hls/zero.ts', '/hls/garbage.ts', '/hls/two.ts']) {
    await get(`${url}${path}`);
    const again = await get(`${url}${path}`);
    t.equal(again.headers['x-media-cache-status'], 'BYPASS', `${path}: not kept for the default 900 s`);
    t.equal(up.count(path), 2, `${path}: asked again`);
  }
  t.equal((await get(`${url}/hls/future.ts`)).headers.expires, inThirty, 'Expires reaches the client');
  clock.advance(29_999);
  t.equal((await get(`${url}/hls/future.ts`)).headers['x-media-cache-status'], 'HIT');
  clock.advance(1);
  t.equal((await get(`${url}/hls/future.ts`)).headers['x-media-cache-status'], 'EXPIRED', 'Expires minus Date: 30 s, not 900 s');
  await get(`${url}/hls/override.ts`);
  clock.advance(99_000);
  t.equal((await get(`${url}/hls/override.ts`)).headers['x-media-cache-status'], 'HIT', 'max-age wins over a past Expires');
});

t.test('an invalid or negative max-age is stale, not the default TTL', async (t) => {
  const values = ['max-age=-1', 'max-age=abc', 'max-age=1.5', 'max-age=', 'max-age=10, max-age=20', 's-maxage=-5, max-age=60'];
  const routes = Object.fromEntries(values.map((cc, i) => [`/hls/bad-${i}.ts`, { body: cc, headers: { 'cache-control': cc } }]));
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, SEGMENT_TTL: '900' }, new ManualClock());
  const get = client(t);
  for (let i = 0; i < values.length; i++) {
    const path = `/hls/bad-${i}.ts`;
    await get(`${url}${path}`);
    t.equal((await get(`${url}${path}`)).headers['x-media-cache-status'], 'BYPASS', values[i]);
    t.equal(up.count(path), 2, `${values[i]}: asked again`);
  }
});

t.test('Content-Encoding reaches the client with the coded bytes as stored; a client refusing the coding gets 406', async (t) => {
  const gz = gzipSync(PLAYLIST);
  const up = await startUpstream(t, {
    '/vod/a/index.m3u8': { body: gz, headers: { 'content-type': 'application/vnd.apple.mpegurl', 'content-encoding': 'gzip', 'cache-control': 'max-age=60', etag: '"gz1"' } },
    '/vod/a/vary.m3u8': { body: gz, headers: { 'content-encoding': 'gzip', vary: 'Origin', 'cache-control': 'max-age=60' } },
  });
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  const get = client(t);

  const asked = await get(`${url}/vod/a/index.m3u8`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.same([asked.status, asked.headers['content-encoding'], asked.headers.vary], [200, 'gzip', 'Accept-Encoding']);
  t.same(asked.body, gz, 'the bytes the origin stored, not decoded and not coded twice');
  t.equal(gunzipSync(asked.body).toString(), PLAYLIST);
  t.equal(up.lastHeaders['accept-encoding'], undefined, 'the edge does not forward one client\'s Accept-Encoding upstream');

  const none = await get(`${url}/vod/a/index.m3u8`);
  t.same([none.status, none.headers['content-encoding'], none.headers['x-media-cache-status']], [200, 'gzip', 'HIT'], 'no Accept-Encoding: any coding is acceptable (RFC 9110 12.5.3)');

  for (const ae of ['identity', 'gzip;q=0', 'br', '']) {
    const refused = await get(`${url}/vod/a/index.m3u8`, { headers: { 'accept-encoding': ae } });
    t.same([refused.status, refused.headers['x-media-error'], refused.headers['content-encoding'], refused.headers.vary], [406, 'SC_ERR_NOT_ACCEPTABLE', undefined, 'Accept-Encoding'], `Accept-Encoding "${ae}"`);
  }
  // The fast path (plain GET) answers the same.
  const fastOk = await rawRequest(port, plainGet('/vod/a/index.m3u8', 'Accept-Encoding: gzip\r\n'));
  t.same([statusOf(fastOk), fieldLines(fastOk, 'content-encoding'), fieldLines(fastOk, 'x-media-cache-status')], [200, ['gzip'], ['HIT']]);
  const fastRefused = await rawRequest(port, plainGet('/vod/a/index.m3u8', 'Accept-Encoding: identity\r\n'));
  t.same([statusOf(fastRefused), fieldLines(fastRefused, 'content-encoding')], [406, []]);
  const fastMiss = await rawRequest(port, plainGet('/vod/a/vary.m3u8', 'Accept-Encoding: identity\r\n'));
  t.same([statusOf(fastMiss), fieldLines(fastMiss, 'x-media-cache-status')], [406, ['MISS']], 'a miss on the fast path too');
  const varied = await get(`${url}/vod/a/vary.m3u8`, { headers: { 'accept-encoding': 'gzip' } });
  t.same(varied.headers.vary, 'Origin, Accept-Encoding', "the origin's Vary kept, Accept-Encoding added");

  // A Range applies to the stored (coded) bytes, and a 304 keeps the coding.
  const range = await get(`${url}/vod/a/index.m3u8`, { headers: { 'accept-encoding': 'gzip', range: 'bytes=0-1' } });
  t.same([range.status, range.headers['content-encoding'], [...range.body]], [206, 'gzip', [0x1f, 0x8b]]);
  const notModified = await get(`${url}/vod/a/index.m3u8`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': '"gz1"' } });
  t.same([notModified.status, notModified.headers['content-encoding']], [304, 'gzip']);
  t.equal(up.count('/vod/a/index.m3u8'), 1);
});

t.test('Vary: * is never reused', async (t) => {
  const up = await startUpstream(t, { '/hls/v.ts': { body: 'v', headers: { vary: '*', 'cache-control': 'max-age=60' } }, '/hls/w.ts': { body: 'w', headers: { vary: ['Origin', '*'] } } });
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const get = client(t);
  for (const path of ['/hls/v.ts', '/hls/w.ts']) {
    await get(`${url}${path}`);
    const again = await get(`${url}${path}`);
    t.same([again.headers['x-media-cache-status'], up.count(path)], ['BYPASS', 2], path);
    t.match(again.headers.vary, /\*/, 'Vary reaches the client');
  }
});

t.test('a 404 with max-age=0 is not cached; a shorter max-age than ERROR_TTL shortens it', async (t) => {
  const up = await startUpstream(t, {
    '/hls/gone-0.ts': { status: 404, body: 'gone', headers: { 'cache-control': 'max-age=0' } },
    '/hls/gone-1.ts': { status: 404, body: 'gone', headers: { 'cache-control': 'max-age=1' } },
    '/hls/gone-9.ts': { status: 404, body: 'gone', headers: { 'cache-control': 'max-age=9' } },
  });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, ERROR_TTL: '2' }, clock);
  const get = client(t);
  await get(`${url}/hls/gone-0.ts`);
  t.same([(await get(`${url}/hls/gone-0.ts`)).headers['x-media-cache-status'], up.count('/hls/gone-0.ts')], ['BYPASS', 2]);
  await get(`${url}/hls/gone-1.ts`);
  await get(`${url}/hls/gone-9.ts`);
  clock.advance(999);
  t.equal((await get(`${url}/hls/gone-1.ts`)).headers['x-media-cache-status'], 'HIT');
  clock.advance(1);
  t.equal((await get(`${url}/hls/gone-1.ts`)).headers['x-media-cache-status'], 'EXPIRED', 'max-age=1: 1 s');
  clock.advance(1000);
  t.equal((await get(`${url}/hls/gone-9.ts`)).headers['x-media-cache-status'], 'EXPIRED', 'max-age=9 is still capped at ERROR_TTL');
});
