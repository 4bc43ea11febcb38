// LL-HLS through the edge, against a counting LL origin held by the test: blocking reloads and
// hinted parts coalesced into one upstream request held longer than UPSTREAM_TIMEOUT, the answer
// cached for the origin's TTL, 400/503 passed through uncached, Age exposed, and query strings that
// mean nothing dropped from the key and from the upstream request. One process and two workers.
import t, { type Test } from 'tap';
import { systemClock } from '../../src/shared/clock';
import { client, sleep, startEdgeInProcess, startEdgeProcess, startUpstream } from './edge-harness';
import { startLlOrigin, type LlOrigin } from './ll-origin-fixture';

const BLOCKING = '/live/index.m3u8?_HLS_msn=6&_HLS_part=2';
/** The same request as players may spell it: other order, other parameters, repeated names. */
const spellings = (i: number): string[] => [
  '/live/index.m3u8?_HLS_msn=6&_HLS_part=2',
  '/live/index.m3u8?_HLS_part=2&_HLS_msn=6',
  `/live/index.m3u8?_HLS_msn=6&v=${i}&_HLS_part=2`,
  `/live/index.m3u8?x=${i}&_HLS_part=2&_HLS_msn=6&_HLS_msn=9`,
];

async function untilHeld(origin: LlOrigin, n = 1): Promise<void> {
  for (let i = 0; i < 400 && origin.holding() < n; i++) await sleep(25);
}

/**
 * 500 concurrent blocking requests for the next part, the part published after the edge's usual
 * upstream timeout (1 s) has passed: one upstream request, 500 answers listing the part.
 */
async function blockingRound(t: Test, edgeUrl: string, origin: LlOrigin): Promise<void> {
  const get = client(t);
  const waiting = Array.from({ length: 500 }, (_, i) => get(edgeUrl + spellings(i)[i % 4]));
  await untilHeld(origin);
  await sleep(1500);
  origin.publishPart();
  const answers = await Promise.all(waiting);
  t.equal(origin.count(BLOCKING), 1, 'one upstream blocking request for 500 viewers');
  t.same(origin.seen.filter((s) => s.includes('?')), [BLOCKING], 'upstream saw the directives only, in canonical order');
  const good = answers.filter((a) => a.status === 200 && a.body.toString().includes('URI="6.2.m4s"'));
  t.equal(good.length, 500, 'every viewer got the playlist with the part it asked for');
  t.ok(answers.every((a) => a.headers['cache-control'] === 'max-age=6'), "the origin's Cache-Control passes on");

  // Later viewers: from cache, with Age, for as long as the origin said (six target durations).
  await sleep(1100);
  const later = await get(edgeUrl + BLOCKING);
  t.equal(later.headers['x-media-cache-status'], 'HIT');
  t.ok(Number(later.headers.age) >= 1, `Age ${later.headers.age}`);
  t.equal(later.headers['access-control-expose-headers'], 'Age');
  t.equal(origin.count(BLOCKING), 1);
}


/** 300 concurrent requests for the hinted part before it exists: one upstream request, held, every one answered whole. */
async function hintedRound(t: Test, edgeUrl: string, origin: LlOrigin): Promise<void> {
  const get = client(t);
  // The edge learns the hint (and the target duration) from the playlist it passes on.
  const plain = (await get(`${edgeUrl}/live/index.m3u8?cb=1`)).body.toString();
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/.exec(plain)!;
  const path = `/live/${hint[1]}.${hint[2]}.m4s`;
  const waiting = Array.from({ length: 300 }, (_, i) => get(`${edgeUrl}${path}?r=${i}`));
  await untilHeld(origin);
  await sleep(1500);
  origin.publishPart();
  const answers = await Promise.all(waiting);
  const want = origin.partBody(Number(hint[1]), Number(hint[2]));
  t.equal(answers.filter((a) => a.status === 200 && a.body.equals(want)).length, 300, 'every viewer got the whole part');
  t.equal(origin.count(path), 1, 'one upstream request for the hinted part');
}

t.test('one edge: blocking reloads and the hinted part, coalesced and held past UPSTREAM_TIMEOUT', async (t) => {
  const origin = await startLlOrigin(t);
  const { url } = await startEdgeInProcess(t, { ORIGINS: origin.url, UPSTREAM_TIMEOUT: '1' }, systemClock);
  // A player starts with the plain playlist, which tells the edge the target duration (1 s): blocking
  // requests then wait 3 s + UPSTREAM_TIMEOUT.
  await client(t)(`${url}/live/index.m3u8`);
  await blockingRound(t, url, origin);
  await hintedRound(t, url, origin);
});

t.test('two workers: the same, one upstream request for the whole edge', async (t) => {
  const origin = await startLlOrigin(t);
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url, UPSTREAM_TIMEOUT: '1', WORKERS: '2' });
  for (let i = 0; i < 200 && !edge.output().includes('"msg":"workers listening"'); i++) await sleep(50);
  const get = client(t);
  // New connections alternate between the workers: both see the plain playlist.
  await Promise.all([get(`${edge.url}/live/index.m3u8`), get(`${edge.url}/live/index.m3u8`)]);
  await blockingRound(t, edge.url, origin);
  await hintedRound(t, edge.url, origin);
});

t.test("the origin's 400 and 503 reach every waiter, are not kept, and fail nothing over", async (t) => {
  const origin = await startLlOrigin(t, { holdMs: 1500 });
  const backup = await startUpstream(t);
  const { url } = await startEdgeInProcess(t, { ORIGINS: `${origin.url},${backup.url}`, UPSTREAM_TIMEOUT: '1' }, systemClock);
  const get = client(t);
  await get(`${url}/live/index.m3u8`);

  const tooFar = await Promise.all(Array.from({ length: 50 }, () => get(`${url}/live/index.m3u8?_HLS_msn=50`)));
  t.ok(tooFar.every((a) => a.status === 400 && JSON.parse(a.body.toString()).code === 'SC_ERR_HLS_DIRECTIVE'), '400 passes through');
  t.ok(tooFar.every((a) => a.headers['cache-control'] === 'no-store'));
  await get(`${url}/live/index.m3u8?_HLS_msn=50`);
  t.ok(origin.count('/live/index.m3u8?_HLS_msn=50') >= 2, 'a 400 is not kept');

  // Segment 7 never comes: the origin gives up after its hold and says 503, to all 200 waiters at once.
  const late = await Promise.all(Array.from({ length: 200 }, () => get(`${url}/live/index.m3u8?_HLS_msn=7`)));
  t.equal(origin.count('/live/index.m3u8?_HLS_msn=7'), 1, 'one upstream request');
  t.ok(late.every((a) => a.status === 503 && JSON.parse(a.body.toString()).code === 'SC_ERR_HLS_NOT_READY'), "every waiter got the origin's 503");
  t.ok(late.every((a) => a.headers['cache-control'] === 'no-store'));
  t.equal(backup.total(), 0, 'a blocking 503 is an answer, not a reason to fail over');
  const again = await get(`${url}/live/index.m3u8?_HLS_msn=7`);
  t.equal(again.status, 503);
  t.equal(origin.count('/live/index.m3u8?_HLS_msn=7'), 2, 'a 503 is not kept');
  // The origin is still the preferred one: the next request goes to it.
  await get(`${url}/live/5.0.m4s`);
  t.equal(origin.count('/live/5.0.m4s'), 1);
  t.equal(backup.total(), 0);
});

t.test('cache busting: 2,000 requests for one segment, each with a random ?x=, reach the origin once', async (t) => {
  const up = await startUpstream(t, { '/hls/seg.ts': { body: Buffer.alloc(4096, 1), headers: { 'content-type': 'video/mp2t' } } });
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, systemClock);
  const get = client(t);
  const rnd = () => Math.random().toString(36).slice(2);
  const answers: number[] = [];
  for (let round = 0; round < 4; round++) {
    const batch = await Promise.all(Array.from({ length: 500 }, () => get(`${url}/hls/seg.ts?x=${rnd()}&${rnd()}=${rnd()}`)));
    answers.push(...batch.map((a) => a.status));
  }
  t.equal(answers.filter((s) => s === 200).length, 2000);
  t.equal(up.count('/hls/seg.ts'), 1, 'one upstream request');
  t.same(up.seen, ['/hls/seg.ts'], 'the origin never saw a query string');
  // HEAD and conditional requests take the full path: the same key.
  const head = await get(`${url}/hls/seg.ts?x=1`, { method: 'HEAD', headers: { range: 'bytes=0-1' } });
  t.equal(head.headers['x-media-cache-status'], 'HIT');
  t.equal(up.total(), 1);
});
