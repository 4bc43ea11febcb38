import t from 'tap';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { signUrlCommand } from '../../src/edge/sign-url-command';
import { verifyToken } from '../../src/shared/playback/playback-token';

const SECRET = 'sign-url-test-secret-0123456789abcdef';
const NOW_MS = 1_800_000_000_000;

t.test('sign-url prints the signed prefix; the token covers the prefix for --ttl', async (t) => {
  const r = signUrlCommand(['/hls/test', '--ttl', '2h'], { PLAYBACK_HMAC_SECRET: SECRET }, NOW_MS);
  t.equal(r.code, 0);
  const m = /^\/t\/([^/]+)\/hls\/test\n$/.exec(r.out);
  t.ok(m, r.out);
  t.same(verifyToken(m![1]!, [SECRET], NOW_MS / 1000), { ok: true, claims: { prefix: '/hls/test', expires: 1_800_007_200 } });
  const inline = signUrlCommand(['--ttl=90s', '/vod/talk'], { PLAYBACK_HMAC_SECRET: SECRET }, NOW_MS);
  t.match(inline.out, /^\/t\/1\.1800000090\./);
  t.match(signUrlCommand(['/hls/test'], { PLAYBACK_HMAC_SECRET: SECRET }, NOW_MS).out, /^\/t\/1\.1800003600\./, 'one hour by default');
});

t.test('sign-url refuses what it cannot sign, with a reason', async (t) => {
  const env = { PLAYBACK_HMAC_SECRET: SECRET };
  for (const [args, why] of [
    [['/hls/test'], /PLAYBACK_HMAC_SECRET is not set/],
    [[], /exactly one path prefix/],
    [['/hls/test', '--ttl', 'soon'], /duration/],
    [['/hls/test', '--ttl'], /needs a value/],
    [['/hls/../x'], /dot segments/],
    [['/hls/test', '--secret', 'x'], /unknown option --secret/],
  ] as Array<[string[], RegExp]>) {
    const r = signUrlCommand(args, args.length === 1 && args[0] === '/hls/test' ? {} : env, NOW_MS);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.out, why);
  }
});

t.test('node dist/edge.js sign-url, as operators run it', async (t) => {
  const r = spawnSync(process.execPath, [resolve('dist/edge.js'), 'sign-url', '/hls/test', '--ttl', '2h'], {
    env: { PATH: process.env.PATH ?? '', PLAYBACK_HMAC_SECRET: SECRET },
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^\/t\/1\.\d+\.L2hscy90ZXN0\.[A-Za-z0-9_-]{43}\/hls\/test\n$/);
  const bad = spawnSync(process.execPath, [resolve('dist/edge.js'), 'sign-url', '/hls/test'], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /PLAYBACK_HMAC_SECRET is not set/);
});
