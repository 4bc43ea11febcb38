import t from 'tap';
import { cacheKeyOf, checkRequestTarget, isBlockingReload, MAX_TARGET_LENGTH } from '../../src/edge/request-target';

t.test('origin-form targets pass and keep their query', async (t) => {
  t.same(checkRequestTarget('/hls/test.m3u8'), { ok: true, path: '/hls/test.m3u8' });
  t.same(checkRequestTarget('/hls/test-1.ts?x=1&y=a%20b'), { ok: true, path: '/hls/test-1.ts' });
  t.same(checkRequestTarget('/'), { ok: true, path: '/' });
  t.same(checkRequestTarget('/a..b/c.ts'), { ok: true, path: '/a..b/c.ts' }, 'dots inside a name are fine');
});

t.test('absolute-form, authority-form and asterisk-form are refused', async (t) => {
  for (const u of ['http://evil.example/x', 'https://127.0.0.1:22/', 'evil.example:443', '*', '//evil.example/x', '']) {
    t.equal(checkRequestTarget(u).ok, false, u);
  }
});

t.test('dot segments and encoded dots, slashes, backslashes and NULs are refused', async (t) => {
  for (const u of ['/../etc/passwd', '/hls/../../x', '/hls/./x', '/hls/..', '/%2e%2e/x', '/%2E./x', '/hls/.%2e/x', '/a%2fb', '/a%5cb', '/a\\..\\b', '/a%00b', '/a%zz', '/a%2', '/a\u0001b']) {
    t.equal(checkRequestTarget(u).ok, false, JSON.stringify(u));
  }
});

t.test('hidden names (the fleet state beside a VOD asset) are refused; dots inside names are not', async (t) => {
  t.equal(checkRequestTarget('/vod/show/.fleet/job/job.json').ok, false);
  t.equal(checkRequestTarget('/.env').ok, false);
  t.equal(checkRequestTarget('/vod/show/MANIFEST.viewport.json').ok, true);
  t.equal(checkRequestTarget('/hls/a_1280/12.m4s').ok, true);
});

t.test('overlong targets are refused', async (t) => {
  t.equal(checkRequestTarget('/' + 'a'.repeat(MAX_TARGET_LENGTH)).ok, false);
  t.equal(checkRequestTarget('/' + 'a'.repeat(MAX_TARGET_LENGTH - 1)).ok, true);
});

t.test('the cache key keeps only the LL-HLS directives, in canonical order, the first of each', async (t) => {
  t.equal(cacheKeyOf('/hls/a.ts'), '/hls/a.ts');
  t.equal(cacheKeyOf('/hls/a.ts?x=1&y=2'), '/hls/a.ts');
  t.equal(cacheKeyOf('/hls/a.ts?'), '/hls/a.ts');
  t.equal(cacheKeyOf('/stat?format=json&x=1'), '/stat?format=json', "the origin's JSON stat (the index reads it)");
  t.equal(cacheKeyOf('/hls/a.m3u8?format=json'), '/hls/a.m3u8', 'format means something on /stat only');
  t.equal(cacheKeyOf('/l/i.m3u8?_HLS_skip=YES&x=1&_HLS_part=2&_HLS_msn=6'), '/l/i.m3u8?_HLS_msn=6&_HLS_part=2&_HLS_skip=YES');
  t.equal(cacheKeyOf('/l/i.m3u8?_HLS_msn=6&_HLS_msn=7'), '/l/i.m3u8?_HLS_msn=6', 'the first, as the origin reads it');
  t.equal(cacheKeyOf('/l/i.m3u8?_hls_msn=6&%5FHLS_msn=6&_HLS_msnx=1'), '/l/i.m3u8', 'names match exactly');
  t.equal(cacheKeyOf('/l/i.m3u8?_HLS_msn'), '/l/i.m3u8?_HLS_msn', 'a name without a value is kept for the origin to judge');
  t.ok(isBlockingReload('/l/i.m3u8?_HLS_msn=6&_HLS_part=2'));
  t.ok(isBlockingReload('/l/i.m3u8?_HLS_msn=6'));
  t.notOk(isBlockingReload('/l/i.m3u8?_HLS_skip=YES'));
  t.notOk(isBlockingReload('/l/i.m3u8'));
});

t.test('cache keys of random queries (seeded): never a dropped parameter, always idempotent', async (t) => {
  let seed = 20261126;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const names = ['_HLS_msn', '_HLS_part', '_HLS_skip', 'x', 'token2', '_HLS', ''];
  const wrong: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const pairs = Array.from({ length: rand(6) }, () => `${names[rand(names.length)]}${rand(3) ? `=${rand(100)}` : ''}`);
    const key = cacheKeyOf(`/p.m3u8?${pairs.join('&')}`);
    const kept = key.includes('?') ? key.slice(key.indexOf('?') + 1).split('&') : [];
    const order = kept.map((p) => ['_HLS_msn', '_HLS_part', '_HLS_skip'].indexOf(p.split('=')[0]!));
    const wanted = pairs.filter((p, j) => /^_HLS_(msn|part|skip)(=|$)/.test(p) && pairs.findIndex((q) => q.split('=')[0] === p.split('=')[0]) === j);
    if (cacheKeyOf(key) !== key || order.some((o, j) => o < 0 || (j > 0 && o <= order[j - 1]!)) || kept.length !== wanted.length || !wanted.every((p) => kept.includes(p))) wrong.push(`${pairs.join('&')} -> ${key}`);
  }
  t.same(wrong, []);
});
