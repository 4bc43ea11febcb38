import t from 'tap';
import { createHmac } from 'node:crypto';
import { ManualClock } from '../../../src/shared/clock';
import { PlaybackGate } from '../../../src/shared/playback/playback-gate';
import { coversPath, MAX_TOKEN_LENGTH, prefixProblem, signedPrefix, signToken, verifyToken } from '../../../src/shared/playback/playback-token';
import { seededRandom } from '../../../src/loadtest/think-time';
import { GATE_VECTORS, NOW, PATHS, PREVIOUS, SECRET, TOKENS } from './playback-vectors';

const gate = (secrets = [SECRET, PREVIOUS]) => new PlaybackGate({ secrets, paths: PATHS, now: () => NOW * 1000 });

t.test('the token format: version, expiry, base64url prefix, base64url HMAC-SHA256 of the documented message', async (t) => {
  t.equal(signToken(SECRET, { prefix: '/hls/test', expires: NOW + 3600 }), TOKENS.test, 'known answer');
  const mac = createHmac('sha256', SECRET).update(`spherecast-playback\n1\n/hls/test\n${NOW + 3600}`).digest('base64url');
  t.equal(TOKENS.test, `1.${NOW + 3600}.${Buffer.from('/hls/test').toString('base64url')}.${mac}`, 'computed independently of signToken');
  t.match(TOKENS.test, /^[A-Za-z0-9._-]+$/, 'only unreserved URI characters');
  t.equal(signedPrefix(SECRET, { prefix: '/hls/test', expires: NOW + 3600 }), `/t/${TOKENS.test}/hls/test`);
  const longest = signToken(SECRET, { prefix: `/${'a'.repeat(255)}`, expires: 999_999_999_999 });
  t.ok(longest.length <= MAX_TOKEN_LENGTH, `the longest token (${longest.length}) fits the parser's bound (${MAX_TOKEN_LENGTH})`);
});

t.test('prefixes that cannot be signed', async (t) => {
  for (const p of ['', 'hls/test', '/hls/test/', '/hls//test', '/hls/../x', '/hls/./x', '/hls/te st', '/hls/%41', '/hls?x', '/t/abc', '/t', `/${'a'.repeat(256)}`]) {
    t.ok(prefixProblem(p), JSON.stringify(p));
    t.throws(() => signToken(SECRET, { prefix: p, expires: NOW }), JSON.stringify(p));
  }
  for (const p of ['/', '/hls', '/hls/test', '/vod/sub_good.mp4~0123456789abcdef', '/hls/test.m3u8']) t.notOk(prefixProblem(p), p);
  t.throws(() => signToken('', { prefix: '/hls', expires: NOW }), /secret/);
  t.throws(() => signToken(SECRET, { prefix: '/hls', expires: -1 }), /expiry/);
  t.throws(() => signToken(SECRET, { prefix: '/hls', expires: 1.5 }), /expiry/);
});

t.test('verify: valid, expired, tampered, other secret', async (t) => {
  t.same(verifyToken(TOKENS.test, [SECRET], NOW), { ok: true, claims: { prefix: '/hls/test', expires: NOW + 3600 } });
  t.equal(verifyToken(TOKENS.test, [SECRET], NOW + 3600).ok, true, 'valid through its expiry second');
  t.match(verifyToken(TOKENS.test, [SECRET], NOW + 3601), { ok: false, kind: 'expired' });
  t.match(verifyToken(TOKENS.previous, [SECRET], NOW), { ok: false, kind: 'invalid' }, 'the previous secret only counts while configured');
  t.equal(verifyToken(TOKENS.previous, [SECRET, PREVIOUS], NOW).ok, true);
  t.match(verifyToken(TOKENS.foreign, [SECRET, PREVIOUS], NOW), { ok: false, kind: 'invalid' });
  t.match(verifyToken(TOKENS.test, [''], NOW), { ok: false, kind: 'invalid' }, 'an empty secret verifies nothing');
  // Every single-character change anywhere in the token is refused.
  const alphabet = 'AQgw0_-.1z';
  for (let i = 0; i < TOKENS.test.length; i++) {
    for (const c of alphabet) {
      if (TOKENS.test[i] === c) continue;
      const changed = TOKENS.test.slice(0, i) + c + TOKENS.test.slice(i + 1);
      const v = verifyToken(changed, [SECRET, PREVIOUS], NOW);
      if (v.ok) t.fail(`changed token accepted: ${changed}`);
    }
  }
});

t.test('coversPath: segment boundaries, the stream\'s own files and variant folders', async (t) => {
  const yes: Array<[string, string]> = [['/hls/test', '/hls/test'], ['/hls/test', '/hls/test/a.m4s'], ['/hls/test', '/hls/test.m3u8'], ['/hls/test', '/hls/test_1280/0.m4s'], ['/', '/anything'], ['/hls', '/hls/x_1/y']];
  const no: Array<[string, string]> = [['/hls/test', '/hls/test2'], ['/hls/test', '/hls/test2.m3u8'], ['/hls/test', '/hls/tes'], ['/hls/test', '/hls/test_b.m3u8'], ['/hls/test', '/hls/test_b_1280/0.m4s'], ['/hls/test', '/hls/test-1/x'], ['/hls/test', '/hls/test.d/x'], ['/hls/test', '/hls/test_/x'], ['/hls', '/hlsx/a'], ['/hls/test', '/vod/test']];
  for (const [p, path] of yes) t.ok(coversPath(p, path), `${p} opens ${path}`);
  for (const [p, path] of no) t.notOk(coversPath(p, path), `${p} does not open ${path}`);
});

t.test('the gate against the shared vectors', async (t) => {
  const g = gate();
  for (const v of GATE_VECTORS) {
    const r = g.check(v.target);
    if ('target' in v.expect) t.same(r, { ok: true, target: v.expect.target }, v.name);
    else t.match(r, { ok: false, code: v.expect.code }, v.name);
  }
});

t.test('the gate: off without a secret, configurable paths, the clock moves', async (t) => {
  const off = new PlaybackGate({ secrets: [], paths: PATHS, now: () => 0 });
  t.equal(off.enabled, false);
  t.same(off.check('/hls/test.m3u8'), { ok: true, target: '/hls/test.m3u8' }, 'no secret: nothing is checked or changed');
  const onlyVod = new PlaybackGate({ secrets: [SECRET], paths: ['/vod'], now: () => NOW * 1000 });
  t.same(onlyVod.check('/hls/test.m3u8'), { ok: true, target: '/hls/test.m3u8' });
  t.match(onlyVod.check('/vod/a/b.m3u8'), { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_MISSING' });
  const clock = new ManualClock(NOW * 1000);
  const timed = new PlaybackGate({ secrets: [SECRET], paths: PATHS, now: () => clock.now() });
  t.equal(timed.check(`/t/${TOKENS.test}/hls/test.m3u8`).ok, true);
  clock.advance(3601_000);
  t.match(timed.check(`/t/${TOKENS.test}/hls/test.m3u8`), { ok: false, code: 'SC_ERR_PLAYBACK_TOKEN_EXPIRED' });
});

t.test('fuzz: 20000 seeded mutations of signed targets never throw and never open a path the token does not cover', async (t) => {
  const random = seededRandom(14);
  const g = gate();
  const seeds = GATE_VECTORS.map((v) => v.target);
  const pieces = ['/', '.', '..', '%', '%2e', '%2f', '%32', '_', '_1280', '?', '&', '=', 'token=', '/t/', TOKENS.test, TOKENS.allLive, 'test', 'test2', '\\', '\u0000', 'é', '#'];
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let s = seeds[Math.floor(random() * seeds.length)]!;
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (s.length + 1));
      const r = random();
      if (r < 0.4) s = s.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + s.slice(at);
      else if (r < 0.7) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(random() * 8));
      else s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(random() * 95)) + s.slice(at + 1);
    }
    if (!s.startsWith('/')) s = `/${s}`;
    let r;
    try {
      r = g.check(s);
    } catch (err) {
      t.fail(`threw on ${JSON.stringify(s)}: ${(err as Error).message}`);
      continue;
    }
    if (!r.ok) continue;
    accepted++;
    const [path0, query] = r.target.split('?');
    if ((query ?? '').split('&').some((p) => p.startsWith('token=')) || path0!.startsWith('/t/')) t.fail(`a token survived in ${r.target}`);
    const path = decodeURIComponent(path0!);
    if (g.isProtected(path) && !coversPath('/hls/test', path) && !coversPath('/hls', path) && !coversPath('/vod/talk-1700000000', path)) {
      t.fail(`${JSON.stringify(s)} opened ${path}`);
    }
  }
  t.ok(accepted > 100, `some mutations still pass (${accepted}), so the check above ran`);
});
