// The origin reached directly with playback tokens on: unsigned requests for media are refused, a good
// token (path or query form) plays, the edge tier passes with ORIGIN_SECRET alone, and the VOD index
// hands out links that carry a token.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOrigin } from './origin-harness';
import { signedPrefix, signToken } from '../../src/shared/playback/playback-token';

const SECRET = 'origin-test-secret-0123456789abcdef01';
const now = () => Math.floor(Date.now() / 1000);

t.test('direct access needs a token; the edge tier proves itself with ORIGIN_SECRET; index links are signed', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', PLAYBACK_HMAC_SECRET: SECRET, ORIGIN_SECRET: 'edge-to-origin', ORIGIN_SECRET_HEADER: 'x-origin-verify' });
  mkdirSync(join(origin.mediaDir, 'hls', 'test_1280'), { recursive: true });
  writeFileSync(join(origin.mediaDir, 'hls', 'test_1280', '3.m4s'), 'segment');
  mkdirSync(join(origin.mediaDir, 'egress', 'talk'), { recursive: true });
  writeFileSync(join(origin.mediaDir, 'egress', 'talk', 'MANIFEST.M3U8'), '#EXTM3U\n#EXT-X-VERSION:3\n');
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(origin.url(path), { headers });
    return { status: r.status, body: await r.text() };
  };

  const unsigned = await get('/hls/test_1280/3.m4s');
  t.equal(unsigned.status, 403);
  t.match(JSON.parse(unsigned.body), { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' }, 'direct unsigned access is refused with its code');
  t.match(JSON.parse((await get('/vod/talk/MANIFEST.M3U8')).body), { code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' }, 'VOD as well');

  const prefix = signedPrefix(SECRET, { prefix: '/hls/test', expires: now() + 600 });
  t.same(await get(`${prefix}_1280/3.m4s`), { status: 200, body: 'segment' }, 'path form');
  t.same(await get(`/hls/test_1280/3.m4s?token=${signToken(SECRET, { prefix: '/hls/test', expires: now() + 600 })}`), { status: 200, body: 'segment' }, 'query form');
  const expired = await get(`${signedPrefix(SECRET, { prefix: '/hls/test', expires: now() - 1 })}_1280/3.m4s`);
  t.match(JSON.parse(expired.body), { code: 'SC_ERR_PLAYBACK_TOKEN_EXPIRED' });
  t.equal(expired.status, 403);
  t.match(JSON.parse((await get(`${signedPrefix(SECRET, { prefix: '/hls/tes', expires: now() + 600 })}t_1280/3.m4s`)).body), { code: 'SC_ERR_PLAYBACK_TOKEN_PATH' });
  t.same(await get(`${prefix}_1280/3.m4s`, { 'x-origin-verify': 'wrong' }), { status: 200, body: 'segment' }, 'a wrong edge secret does not spoil a good token');

  t.same(await get('/hls/test_1280/3.m4s', { 'x-origin-verify': 'edge-to-origin' }), { status: 200, body: 'segment' }, 'the edge tier (ORIGIN_SECRET) needs no token: it checked and stripped it');
  const forged = await get(`/t/1.1.L2hscw.${'A'.repeat(43)}/hls/test_1280/3.m4s`, { 'x-origin-verify': 'edge-to-origin' });
  t.equal(forged.status, 403, 'but a bad token is refused even then');

  const index = await (await fetch(origin.url('/vod/index.json'))).json();
  t.equal(index.assets.length, 1, '/vod/index.json stays open');
  const master: string = index.assets[0].master;
  t.match(master, /^\/t\/1\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\/vod\/talk\/MANIFEST\.M3U8$/, 'its links carry a token');
  t.equal((await get(master)).status, 200, 'and play');
  t.equal((await get('/healthz')).status, 200, '/healthz stays open');
  t.notMatch(origin.log(), new RegExp(SECRET), 'the secret is never logged');
});
