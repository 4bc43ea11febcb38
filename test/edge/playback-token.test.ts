// Playback tokens through the real edge process: checked, refused with a code, and stripped before the
// cache and the origin, so viewers with different tokens share one cached copy and one origin request.
import t, { type Test as Tap } from 'tap';
import { client, rawRequest, startEdgeProcess, startUpstream } from './edge-harness';
import { signedPrefix, signToken } from '../../src/shared/playback/playback-token';

const SECRET = 'edge-test-secret-0123456789abcdef0123';
const PREVIOUS = 'edge-test-previous-0123456789abcdef01';
const now = () => Math.floor(Date.now() / 1000);
const SEGMENT = '/hls/test_1280/7.m4s';
const PLAYLIST = '/hls/test_1280/index.m3u8';

async function setup(t: Tap) {
  const up = await startUpstream(t, {
    [SEGMENT]: { body: 'segment-bytes', headers: { 'content-type': 'video/iso.segment', 'cache-control': 'max-age=900' }, delayMs: 100 },
    [PLAYLIST]: { body: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n7.m4s\n', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=1' } },
    [`${PLAYLIST}?_HLS_msn=7&_HLS_part=0`]: { body: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n', headers: { 'cache-control': 'max-age=12' } },
    '/hls/test2.m3u8': { body: '#EXTM3U\n' },
    '/open.txt': { body: 'open', headers: { 'cache-control': 'max-age=60' } },
  });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, PLAYBACK_HMAC_SECRET: SECRET, PLAYBACK_HMAC_SECRET_PREVIOUS: PREVIOUS });
  return { up, edge, get: client(t) };
}

t.test('two viewers with different tokens for one segment: one origin request, and the origin never sees a token', async (t) => {
  const { up, edge, get } = await setup(t);
  const a = signedPrefix(SECRET, { prefix: '/hls/test', expires: now() + 3600 });
  const b = signedPrefix(SECRET, { prefix: '/hls/test', expires: now() + 7200 });
  const c = signToken(PREVIOUS, { prefix: '/hls', expires: now() + 600 });
  t.not(a, b, 'the tokens differ');
  // Concurrent misses through the fast path, path form and query form.
  const answers = await Promise.all([
    get(`${edge.url}${a}_1280/7.m4s`),
    get(`${edge.url}${b}_1280/7.m4s`),
    get(`${edge.url}${SEGMENT}?token=${c}`),
  ]);
  for (const r of answers) {
    t.equal(r.status, 200);
    t.equal(r.body.toString(), 'segment-bytes');
  }
  // Later viewers: hits, on the fast path and on the full path (a range request).
  const hit = await get(`${edge.url}${b}_1280/7.m4s`);
  t.equal(hit.headers['x-media-cache-status'], 'HIT');
  const range = await get(`${edge.url}${a}_1280/7.m4s`, { headers: { range: 'bytes=0-6' } });
  t.equal(range.status, 206);
  t.equal(range.body.toString(), 'segment');
  t.equal(up.count(SEGMENT), 1, 'one origin request for every viewer');
  const playlist = await get(`${edge.url}${a}_1280/index.m3u8?_HLS_msn=7&_HLS_part=0`);
  t.equal(playlist.status, 200);
  t.ok(up.seen.length > 0);
  for (const target of up.seen) t.notMatch(target, /token|\/t\//, `origin saw ${target}`);
  t.notMatch(JSON.stringify(up.lastHeaders), new RegExp(a.split('/')[2]!.slice(-20)), 'nor in a header');
  t.notMatch(edge.output(), new RegExp(SECRET), 'the secret is never logged');
});

t.test('refusals: 403 with a code naming why, and nothing reaches the origin', async (t) => {
  const { up, edge, get } = await setup(t);
  const good = signedPrefix(SECRET, { prefix: '/hls/test', expires: now() + 3600 });
  const expired = signedPrefix(SECRET, { prefix: '/hls/test', expires: now() - 5 });
  const tamperedSig = good.replace(/\.([A-Za-z0-9_-])([A-Za-z0-9_-]{42})\//, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}/`);
  const tamperedExp = good.replace(/\/t\/1\.(\d+)\./, (_m, e: string) => `/t/1.${Number(e) + 1}.`);
  const foreign = signedPrefix('some-other-secret-0123456789abcdef', { prefix: '/hls/test', expires: now() + 3600 });
  const cases: Array<[string, string, string]> = [
    ['missing', PLAYLIST, 'SC_ERR_PLAYBACK_TOKEN_MISSING'],
    ['expired', `${expired}_1280/index.m3u8`, 'SC_ERR_PLAYBACK_TOKEN_EXPIRED'],
    ['wrong prefix', `${good.replace('/hls/test', '')}/hls/other.m3u8`, 'SC_ERR_PLAYBACK_TOKEN_PATH'],
    ['prefix boundary', `${good}2.m3u8`, 'SC_ERR_PLAYBACK_TOKEN_PATH'],
    ['tampered signature', `${tamperedSig}_1280/index.m3u8`, 'SC_ERR_PLAYBACK_TOKEN_INVALID'],
    ['tampered expiry', `${tamperedExp}_1280/index.m3u8`, 'SC_ERR_PLAYBACK_TOKEN_INVALID'],
    ['another secret', `${foreign}_1280/index.m3u8`, 'SC_ERR_PLAYBACK_TOKEN_INVALID'],
    ['garbage in the query', `${PLAYLIST}?token=abc`, 'SC_ERR_PLAYBACK_TOKEN_INVALID'],
  ];
  t.not(tamperedSig, good);
  for (const [name, target, code] of cases) {
    for (const method of ['GET', 'HEAD'] as const) {
      const r = await get(`${edge.url}${target}`, { method });
      t.equal(r.status, 403, `${name} (${method})`);
      t.equal(r.headers['x-media-error'], code, `${name} (${method})`);
      t.equal(r.headers['cache-control'], 'no-store');
    }
  }
  // The same through a raw request that starts on the fast path with a conditional header (full path).
  const raw = await rawRequest(edge.port, `GET ${expired}_1280/index.m3u8 HTTP/1.1\r\nHost: x\r\nIf-None-Match: "a"\r\n\r\n`);
  t.match(raw, /^HTTP\/1\.1 403/);
  t.match(raw, /x-media-error: SC_ERR_PLAYBACK_TOKEN_EXPIRED/i);
  t.equal(up.total(), 0, 'no refused request reached the origin');
  // What stays open: the edge's own endpoints, and paths outside PLAYBACK_TOKEN_PATHS.
  t.equal((await get(`${edge.url}/healthz`)).status, 200);
  t.equal((await get(`${edge.url}/metrics`)).status, 200);
  t.equal((await get(`${edge.url}/open.txt`)).status, 200);
  t.equal((await get(`${edge.url}${good}_1280/index.m3u8`)).status, 200, 'and the good token plays');
});
