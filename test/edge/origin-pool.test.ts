import t from 'tap';
import pino from 'pino';
import { ManualClock } from '../../src/shared/clock';
import { OriginPool, type OriginPoolOptions } from '../../src/edge/origin-pool';
import { deadPort, startUpstream } from './edge-harness';

function pool(t: { teardown(fn: () => unknown): void }, origins: string[], clock: ManualClock, extra: Partial<OriginPoolOptions> = {}): OriginPool {
  const p = new OriginPool({
    origins,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    failTimeoutMs: 10_000,
    connections: 4,
    maxObjectBytes: 1024 * 1024,
    headers: {},
    clock,
    log: pino({ level: 'silent' }),
    ...extra,
  });
  t.teardown(() => p.close());
  return p;
}

t.test('the primary answers while it is healthy; the backup is untouched', async (t) => {
  const primary = await startUpstream(t, { '/a.ts': { body: 'from primary' } });
  const backup = await startUpstream(t, { '/a.ts': { body: 'from backup' } });
  const p = pool(t, [primary.url, backup.url], new ManualClock());
  const r = await p.fetch('/a.ts');
  t.ok(r.ok);
  if (r.ok) t.same([r.response.status, r.response.body.toString(), r.response.origin], [200, 'from primary', primary.url]);
  t.equal(backup.total(), 0);
});

t.test('a refused connection fails over to the backup and the primary is skipped until FAIL_TIMEOUT', async (t) => {
  const backup = await startUpstream(t, { '/a.ts': { body: 'from backup' } });
  const clock = new ManualClock();
  const dead = `http://127.0.0.1:${await deadPort()}`;
  const attempts: string[] = [];
  const p = pool(t, [dead, backup.url], clock, { onAttempt: (o, outcome) => attempts.push(`${o === dead ? 'primary' : 'backup'}:${outcome}`) });
  const r = await p.fetch('/a.ts');
  t.ok(r.ok && r.response.body.toString() === 'from backup');
  t.same(attempts, ['primary:connect_error', 'backup:ok']);
  t.equal(p.status()[0].up, false);
  await p.fetch('/a.ts');
  t.same(attempts.slice(2), ['backup:ok'], 'primary skipped while marked down');
  clock.advance(10_000);
  await p.fetch('/a.ts');
  t.same(attempts.slice(3), ['primary:connect_error', 'backup:ok'], 'primary retried after fail_timeout');
});

t.test('502, 503 and 504 fail over; 404 and 500 do not', async (t) => {
  for (const status of [502, 503, 504]) {
    const primary = await startUpstream(t, { '/a.ts': { status, body: 'bad' } });
    const backup = await startUpstream(t, { '/a.ts': { body: 'good' } });
    const r = await pool(t, [primary.url, backup.url], new ManualClock()).fetch('/a.ts');
    t.ok(r.ok && r.response.status === 200 && r.response.body.toString() === 'good', `failover on ${status}`);
    t.equal(primary.count('/a.ts'), 1);
  }
  for (const status of [404, 500]) {
    const primary = await startUpstream(t, { '/a.ts': { status, body: 'answer' } });
    const backup = await startUpstream(t, { '/a.ts': { body: 'good' } });
    const r = await pool(t, [primary.url, backup.url], new ManualClock()).fetch('/a.ts');
    t.ok(r.ok && r.response.status === status, `no failover on ${status}`);
    t.equal(backup.total(), 0);
  }
});

t.test('a recovered primary is used again once its fail_timeout passes', async (t) => {
  const primary = await startUpstream(t, { '/a.ts': { status: 502 } });
  const backup = await startUpstream(t, { '/a.ts': { body: 'backup' } });
  const clock = new ManualClock();
  const p = pool(t, [primary.url, backup.url], clock);
  await p.fetch('/a.ts');
  primary.routes.set('/a.ts', { body: 'primary' });
  let r = await p.fetch('/a.ts');
  t.ok(r.ok && r.response.body.toString() === 'backup', 'still skipped');
  clock.advance(10_000);
  r = await p.fetch('/a.ts');
  t.ok(r.ok && r.response.body.toString() === 'primary', 'back on the primary');
  t.equal(p.status()[0].up, true);
});

t.test('when every origin fails: the last 5xx passes through, connect errors give 502, timeouts 504', async (t) => {
  const a = await startUpstream(t, { '/a.ts': { status: 503, body: 'busy' } });
  const b = await startUpstream(t, { '/a.ts': { status: 502, body: 'bad' } });
  const r1 = await pool(t, [a.url, b.url], new ManualClock()).fetch('/a.ts');
  t.ok(r1.ok && r1.response.status === 502);

  const dead = `http://127.0.0.1:${await deadPort()}`;
  const r2 = await pool(t, [dead], new ManualClock()).fetch('/a.ts');
  t.same(r2.ok ? null : r2.status, 502);

  const slow = await startUpstream(t, { '/a.ts': { delayMs: 1500, body: 'late' } });
  const r3 = await pool(t, [slow.url], new ManualClock(), { timeoutMs: 200 }).fetch('/a.ts');
  t.same(r3.ok ? null : r3.status, 504);
});

t.test('with every origin marked down, only the first to recover is probed', async (t) => {
  const a = await startUpstream(t, { '/a.ts': { status: 503 } });
  const b = await startUpstream(t, { '/a.ts': { status: 503 } });
  const clock = new ManualClock();
  const p = pool(t, [a.url, b.url], clock);
  await p.fetch('/a.ts');
  t.same([a.total(), b.total()], [1, 1]);
  clock.advance(1);
  await p.fetch('/a.ts');
  t.same([a.total(), b.total()], [2, 1], 'one probe, of the origin marked down first');
});

t.test('the origin secret is sent and the path prefix of the origin URL is kept', async (t) => {
  const up = await startUpstream(t, { '/base/hls/a.ts': { body: 'x' } });
  const p = pool(t, [`${up.url}/base`], new ManualClock(), { headers: { 'x-origin-verify': 's3cret' } });
  const r = await p.fetch('/hls/a.ts?q=1');
  t.ok(r.ok);
  t.same(up.seen, ['/base/hls/a.ts?q=1']);
  t.equal(up.lastHeaders['x-origin-verify'], 's3cret');
});

t.test('objects larger than MAX_OBJECT_BYTES are refused without failover', async (t) => {
  const a = await startUpstream(t, { '/big.ts': { body: Buffer.alloc(4096) } });
  const b = await startUpstream(t, { '/big.ts': { body: Buffer.alloc(4096) } });
  const r = await pool(t, [a.url, b.url], new ManualClock(), { maxObjectBytes: 1024 }).fetch('/big.ts');
  t.same(r.ok ? null : r.status, 502);
  t.equal(b.total(), 0);
});
