// The edge as a node:cluster (WORKERS=2), a real process: workers share the primary's cache tier,
// so the origin still sees one request per object; figures add up across processes; a dead worker
// is replaced; SIGTERM stops every process.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { client, sleep, startEdgeProcess, startUpstream } from './edge-harness';

/** Child processes of `pid`: from /proc where the kernel lists them, else from pgrep (procps). */
function childrenOf(pid: number): number[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
    text = r.stdout ?? '';
  }
  text = text.trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits for the primary to report every worker listening, then for `n` worker processes. */
async function untilWorkers(edge: { child: { pid?: number }; output(): string }, n: number): Promise<number[]> {
  const pid = edge.child.pid!;
  for (let i = 0; i < 200 && !edge.output().includes('"msg":"workers listening"'); i++) await sleep(50);
  for (let i = 0; i < 200; i++) {
    const kids = childrenOf(pid);
    if (kids.length === n) return kids;
    await sleep(50);
  }
  throw new Error(`edge primary ${pid} does not have ${n} workers: ${childrenOf(pid).join(',')}`);
}

const SEGMENT = Buffer.alloc(64 * 1024, 0x47);

t.test('two workers: 300 concurrent misses make one upstream request; later requests are hits in every worker', async (t) => {
  const up = await startUpstream(t, { '/hls/cold.ts': { body: SEGMENT, delayMs: 300, headers: { 'content-type': 'video/mp2t' } } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, WORKERS: '2' });
  await untilWorkers(edge, 2);
  const get = client(t);
  const answers = await Promise.all(Array.from({ length: 300 }, () => get(`${edge.url}/hls/cold.ts`)));
  t.equal(up.count('/hls/cold.ts'), 1, 'one upstream request for the whole edge');
  t.equal(answers.filter((a) => a.status === 200 && a.body.equals(SEGMENT)).length, 300, 'every waiter got the object');
  // New connections go round-robin to both workers; the one that missed asks the primary's tier.
  const later = await Promise.all(Array.from({ length: 20 }, () => get(`${edge.url}/hls/cold.ts`)));
  t.ok(later.every((a) => a.status === 200 && ['HIT', 'MISS'].includes(a.headers['x-media-cache-status']!)));
  t.equal(up.count('/hls/cold.ts'), 1, 'still one upstream request');

  const status = JSON.parse((await get(`${edge.url}/server-status`)).body.toString());
  t.equal(status.workers, 2);
  t.equal(status.requests, 320, 'requests of both workers added up');
  t.equal(status.upstreamRequests, 1);
  t.equal(status.hits + status.misses, 320);
  t.equal(status.origins[0].requests, 1);
  const metrics = (await get(`${edge.url}/metrics`)).body.toString();
  const byStatus = [...metrics.matchAll(/^spherecast_edge_requests_total\{cache_status="(HIT|MISS)"[^}]*\} (\d+)$/gm)];
  t.equal(byStatus.reduce((n, m) => n + Number(m[2]), 0), 320, 'Prometheus counters added up across workers');
});

t.test('a worker that dies is replaced and the edge keeps answering', async (t) => {
  const up = await startUpstream(t, { '/hls/a.ts': { body: 'segment' } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, WORKERS: '2' });
  const [first] = await untilWorkers(edge, 2);
  process.kill(first!, 'SIGKILL');
  for (let i = 0; i < 100 && childrenOf(edge.child.pid!).includes(first!); i++) await sleep(50);
  const now = await untilWorkers(edge, 2);
  t.notOk(now.includes(first!), 'a new worker took its place');
  const get = client(t);
  for (let i = 0; i < 6; i++) t.equal((await get(`${edge.url}/hls/a.ts`)).status, 200);
  t.match(edge.output(), /edge worker died/);
});

t.test('SIGTERM drains every worker and the whole edge exits cleanly', async (t) => {
  const up = await startUpstream(t, { '/hls/slow.ts': { body: 'slow body', delayMs: 800 } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, WORKERS: '2', DRAIN_DELAY: '0.3' });
  const workers = await untilWorkers(edge, 2);
  const get = client(t);
  const inFlight = get(`${edge.url}/hls/slow.ts`);
  while (up.count('/hls/slow.ts') === 0) await sleep(10);
  edge.child.kill('SIGTERM');
  const answer = await inFlight;
  t.same([answer.status, answer.body.toString()], [200, 'slow body'], 'the in-flight request finished');
  t.equal(await edge.exited, 0);
  t.ok(workers.every((pid) => !alive(pid)), 'no worker left behind');
});
