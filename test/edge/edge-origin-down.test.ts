// The edge (a real process, one process and a cluster) in front of the real origin process, which
// is hung with SIGSTOP and resumed with SIGCONT. UPSTREAM_TIMEOUT is 60 s: if the edge waited for
// the hung origin these requests would outlast the test's own timeout, so completing at all shows
// that nothing waited for it.
import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { client, sleep, startEdgeProcess, tempDir, type Fetched } from './edge-harness';
import { startOrigin, waitFor } from '../origin/origin-harness';

const SEGMENT = Buffer.alloc(188 * 64, 0x47);
const playlist = (first: number) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${first}\n#EXTINF:2.000,\nseg-${first}.ts\n#EXTINF:2.000,\nseg-${first + 1}.ts\n`;

/** Polls the edge's /server-status until its (first) origin is in the given state. */
async function untilOrigin(get: ReturnType<typeof client>, edgeUrl: string, up: boolean): Promise<void> {
  await waitFor(`the origin reported ${up ? 'up' : 'down'}`, async () => JSON.parse((await get(`${edgeUrl}/server-status`)).body.toString()).origins[0].up === up || undefined, 20_000, 50);
}

function checkFailFast(t: Test, res: Fetched, what: string): void {
  t.equal(res.status, 503, `${what}: 503`);
  t.equal(res.headers['x-media-error'], 'SC_ERR_ORIGINS_DOWN', `${what}: the registry code`);
  t.match(res.headers['retry-after'], /^[1-9]\d*$/, `${what}: Retry-After in whole seconds`);
  t.ok(Number(res.headers['retry-after']) <= 5, `${what}: a short Retry-After (HEALTH_BACKOFF_MAX is 0.5 s)`);
  t.equal(res.headers['cache-control'], 'no-store');
}

for (const workers of [1, 2]) {
  t.test(`WORKERS=${workers}: origin hung by SIGSTOP: stale segments at once, playlists fail fast; after SIGCONT fresh content`, async (t) => {
    const egress = tempDir(t, 'sc-edge-down-');
    const show = join(egress, 'show');
    mkdirSync(show);
    writeFileSync(join(show, 'index.m3u8'), playlist(1));
    for (const n of [1, 2, 3]) writeFileSync(join(show, `seg-${n}.ts`), SEGMENT);
    const origin = await startOrigin(t, { EGRESS: egress });
    const pid = origin.proc.pid!;
    t.teardown(() => {
      if (origin.proc.exitCode === null) process.kill(pid, 'SIGCONT');
    });
    // The origin sends max-age=60 and 86400 for /vod/: the caps make both expire after 1 s.
    const edge = await startEdgeProcess(t, {
      ORIGINS: origin.url(''),
      WORKERS: String(workers),
      UPSTREAM_TIMEOUT: '60',
      HEALTH_INTERVAL: '0.2',
      HEALTH_TIMEOUT: '0.5',
      HEALTH_BACKOFF_MAX: '0.5',
      PLAYLIST_TTL_MAX: '1',
      SEGMENT_TTL_MAX: '1',
      STALE_IF_ERROR: '600',
    });
    const get = client(t);
    t.equal((await get(`${edge.url}/vod/show/index.m3u8`)).status, 200);
    t.equal((await get(`${edge.url}/vod/show/seg-1.ts`)).status, 200);
    await sleep(1100);

    process.kill(pid, 'SIGSTOP');
    // Sent while the origin is hung but not yet found out: the health probe gives up the wait.
    const first = await get(`${edge.url}/vod/show/seg-1.ts`);
    t.same([first.status, first.headers['x-media-cache-status']], [200, 'STALE'], 'a request caught by the hang is answered STALE once a probe finds it');
    await untilOrigin(get, edge.url, false);

    const stale = await get(`${edge.url}/vod/show/seg-1.ts`);
    t.same([stale.status, stale.headers['x-media-cache-status']], [200, 'STALE']);
    t.ok(stale.body.equals(SEGMENT), 'the cached body');
    t.ok(Number(stale.headers.age) >= 1, `Age counts the stale copy's time in the cache (${stale.headers.age})`);
    t.equal(stale.headers.warning, undefined, 'no Warning header');
    const metrics = (await get(`${edge.url}/metrics`)).body.toString();
    t.match(metrics, new RegExp(`^spherecast_edge_origin_up\\{origin="${origin.url('').replace(/\./g, '\\.')}"[^}]*\\} 0$`, 'm'), 'the origin_up gauge says down');
    checkFailFast(t, await get(`${edge.url}/vod/show/index.m3u8`), 'an expired playlist');
    checkFailFast(t, await get(`${edge.url}/vod/show/seg-3.ts`), 'an uncached segment');

    // The stream moved on while the origin was stopped.
    writeFileSync(join(show, 'index.m3u8'), playlist(2));
    process.kill(pid, 'SIGCONT');
    await untilOrigin(get, edge.url, true);
    const fresh = await get(`${edge.url}/vod/show/index.m3u8`);
    t.same([fresh.status, fresh.body.toString()], [200, playlist(2)], 'the new playlist');
    t.not(fresh.headers['x-media-cache-status'], 'STALE');
    const seg3 = await get(`${edge.url}/vod/show/seg-3.ts`);
    t.same([seg3.status, seg3.headers['x-media-cache-status'], seg3.body.equals(SEGMENT)], [200, 'MISS', true]);
    const renewed = await get(`${edge.url}/vod/show/seg-1.ts`);
    // EXPIRED where this process held the old copy; MISS in a worker that never had one.
    t.same([renewed.status, /^(EXPIRED|MISS)$/.test(renewed.headers['x-media-cache-status']!)], [200, true], 'the stale copy is refetched');
  });
}
