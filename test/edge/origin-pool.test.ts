import t from 'tap';
import pino from 'pino';
import { ManualClock } from '../../src/shared/clock';
import { OriginPool, type OriginPoolOptions } from '../../src/edge/origin-pool';
import { deadPort, startUpstream } from './edge-harness';
import { waitFor } from '../origin/origin-harness';

// Probes of a down origin come quickly here (20 ms, doubling to 50 ms); none while it is up unless a test asks.
const HEALTH = { path: '/healthz', intervalMs: 0, timeoutMs: 200, backoffBaseMs: 20, backoffMaxMs: 50 };

function pool(t: { teardown(fn: () => unknown): void }, origins: string[], clock: ManualClock, extra: Partial<OriginPoolOptions> = {}): OriginPool {
  const p = new OriginPool({
    origins,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    failTimeoutMs: 10_000,
    health: HEALTH,
    connections: 4,
    maxObjectBytes: 1024 * 1024,
    headers: {},
    clock,
    log: pino({ level: 'silent' }),
    ...extra,
  });
  t.teardown(() => p.close());
  p.start();
  return p;
}

/** Polls until `ok`: the probes run on real timers. */
const until = (what: string, ok: () => boolean) => waitFor(what, () => ok() || undefined, 20_000, 10);

t.test('the primary answers while it is healthy; the backup is untouched', async (t) => {
  const primary = await startUpstream(t, { '/a.ts': { body: 'from primary' } });
  const backup = await startUpstream(t, { '/a.ts': { body: 'from backup' } });
  const p = pool(t, [primary.url, backup.url], new ManualClock());
  const r = await p.fetch('/a.ts');
  t.ok(r.ok);
  if (r.ok) t.same([r.response.status, r.response.body.toString(), r.response.origin], [200, 'from primary', primary.url]);
  t.equal(backup.total(), 0);
});

t.test('a refused connection fails over to the backup; the primary gets no request until a health probe finds it answering', async (t) => {
  const backup = await startUpstream(t, { '/a.ts': { body: 'from backup' } });
  const clock = new ManualClock();
  const port = await deadPort();
  const dead = `http://127.0.0.1:${port}`;
  const attempts: string[] = [];
  const p = pool(t, [dead, backup.url], clock, { onAttempt: (o, outcome) => attempts.push(`${o === dead ? 'primary' : 'backup'}:${outcome}`) });
  const r = await p.fetch('/a.ts');
  t.ok(r.ok && r.response.body.toString() === 'from backup');
  t.same(attempts, ['primary:connect_error', 'backup:ok']);
  t.equal(p.status()[0].up, false);
  clock.advance(60_000);
  await p.fetch('/a.ts');
  t.same(attempts.slice(2), ['backup:ok'], 'primary skipped while down, however much time passes');
  t.equal(backup.probes, 0, 'an origin that is up is not probed with HEALTH_INTERVAL 0');

  const revived = await startUpstream(t, { '/a.ts': { body: 'from primary' } }, port);
  await until('the primary is probed back up', () => p.status()[0].up);
  t.ok(revived.probes >= 1, 'a health probe found it');
  const again = await p.fetch('/a.ts');
  t.ok(again.ok && again.response.body.toString() === 'from primary', 'back on the primary');
  t.same(revived.seen, ['/a.ts'], 'the only request it got is the one after the probe');
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

t.test('a primary answering 502 is passed over for FAIL_TIMEOUT, then used again', async (t) => {
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

t.test('when every origin fails: the last 5xx passes through, connect errors give 502, timeouts 504, then 503 at once', async (t) => {
  const a = await startUpstream(t, { '/a.ts': { status: 503, body: 'busy' } });
  const b = await startUpstream(t, { '/a.ts': { status: 502, body: 'bad' } });
  const r1 = await pool(t, [a.url, b.url], new ManualClock()).fetch('/a.ts');
  t.ok(r1.ok && r1.response.status === 502);

  const dead = `http://127.0.0.1:${await deadPort()}`;
  const deadPool = pool(t, [dead], new ManualClock());
  const r2 = await deadPool.fetch('/a.ts');
  t.same(r2.ok ? null : [r2.status, r2.code], [502, 'SC_ERR_UPSTREAM']);
  const r2again = await deadPool.fetch('/a.ts');
  t.same(r2again.ok ? null : [r2again.status, r2again.code], [503, 'SC_ERR_ORIGINS_DOWN'], 'known down: no new attempt');

  const slow = await startUpstream(t, { '/a.ts': { delayMs: 1500, body: 'late' } });
  const r3 = await pool(t, [slow.url], new ManualClock(), { timeoutMs: 200 }).fetch('/a.ts');
  t.same(r3.ok ? null : [r3.status, r3.code], [504, 'SC_ERR_UPSTREAM_TIMEOUT']);
});

t.test('a hung origin: the first timed-out request marks it down, later requests fail at once, one probe at a time finds it back', async (t) => {
  const hung = await startUpstream(t, { '/a.ts': { hang: true }, '/b.ts': { hang: true }, '/healthz': { hang: true } });
  const attempts: string[] = [];
  const p = pool(t, [hung.url], new ManualClock(), { timeoutMs: 300, onAttempt: (_o, outcome) => attempts.push(outcome) });
  const first = await p.fetch('/a.ts');
  t.same(first.ok ? null : first.status, 504);
  t.equal(p.status()[0].up, false, 'one timeout is enough');
  const [second, third] = await Promise.all([p.fetch('/a.ts'), p.fetch('/b.ts')]);
  for (const r of [second, third]) {
    t.same(r.ok ? null : [r.status, r.code], [503, 'SC_ERR_ORIGINS_DOWN']);
    t.ok(!r.ok && r.retryAfterSeconds !== undefined && r.retryAfterSeconds >= 1, 'with a Retry-After');
  }
  t.same([hung.count('/a.ts'), hung.count('/b.ts')], [1, 0], 'no request was sent to the down origin');
  t.same(attempts, ['timeout'], 'and none attempted');

  await until('three probes', () => hung.count('/healthz') >= 3);
  t.equal(hung.maxOpen('/healthz'), 1, 'never more than one probe at a time');
  hung.routes.set('/healthz', { body: 'ok' });
  hung.routes.set('/a.ts', { body: 'a' });
  await until('the origin is probed back up', () => p.status()[0].up);
  const back = await p.fetch('/a.ts');
  t.ok(back.ok && back.response.body.toString() === 'a', 'served by the recovered origin');
});

t.test('a hang found by a health probe gives up the requests waiting on that origin: they fail over, or fail at once', async (t) => {
  const hung = await startUpstream(t, { '/a.ts': { hang: true }, '/healthz': { hang: true } });
  const backup = await startUpstream(t, { '/a.ts': { body: 'from backup' } });
  // Far longer than the test may run: only the probe can end these waits.
  const opts = { timeoutMs: 600_000, health: { ...HEALTH, intervalMs: 50 } };
  const attempts: string[] = [];
  const withBackup = pool(t, [hung.url, backup.url], new ManualClock(), { ...opts, onAttempt: (o, outcome) => attempts.push(`${o === hung.url ? 'primary' : 'backup'}:${outcome}`) });
  const r = await withBackup.fetch('/a.ts');
  t.ok(r.ok && r.response.body.toString() === 'from backup');
  t.same(attempts, ['primary:origin_down', 'backup:ok']);
  t.match(withBackup.status()[0].lastError, /health probe/);

  const alone = pool(t, [hung.url], new ManualClock(), opts);
  const waiting = await Promise.all([alone.fetch('/a.ts'), alone.fetch('/a.ts')]);
  t.same(waiting.map((w) => (w.ok ? null : [w.status, w.code])), [[503, 'SC_ERR_ORIGINS_DOWN'], [503, 'SC_ERR_ORIGINS_DOWN']]);
});

t.test('an origin answering 5xx is alive: a single one is still asked, never failed fast', async (t) => {
  const busy = await startUpstream(t, { '/a.ts': { status: 503, body: 'busy' } });
  const p = pool(t, [busy.url], new ManualClock());
  for (let i = 0; i < 3; i++) {
    const r = await p.fetch('/a.ts');
    t.ok(r.ok && r.response.status === 503, 'its own answer passes through');
  }
  t.equal(busy.count('/a.ts'), 3);
  t.equal(p.status()[0].up, true);
});

t.test('a health probe counts any answer below 500: a 5xx or a timeout marks the origin down', async (t) => {
  const plain = await startUpstream(t, { '/healthz': { status: 404 } });
  const p = pool(t, [plain.url], new ManualClock(), { health: { ...HEALTH, intervalMs: 20 } });
  await until('a few probes', () => plain.count('/healthz') >= 3);
  t.equal(p.status()[0].up, true, 'a server without a health endpoint is up');
  plain.routes.set('/healthz', { status: 503, body: 'draining' });
  await until('down on a 503', () => !p.status()[0].up);
  t.match(p.status()[0].lastError, /health probe: HTTP 503/);
  plain.routes.set('/healthz', { body: 'ok' });
  await until('up again', () => p.status()[0].up);
  plain.routes.set('/healthz', { hang: true });
  await until('down on a timeout', () => !p.status()[0].up);
  t.match(p.status()[0].lastError, /no answer within 200 ms/);
});

t.test('with every origin passed over for a 5xx, only the first whose time runs out is asked', async (t) => {
  const a = await startUpstream(t, { '/a.ts': { status: 503 } });
  const b = await startUpstream(t, { '/a.ts': { status: 503 } });
  const clock = new ManualClock();
  const p = pool(t, [a.url, b.url], clock);
  await p.fetch('/a.ts');
  t.same([a.total(), b.total()], [1, 1]);
  clock.advance(1);
  await p.fetch('/a.ts');
  t.same([a.total(), b.total()], [2, 1], 'one request, to the origin passed over first');
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
  const p = pool(t, [a.url, b.url], new ManualClock(), { maxObjectBytes: 1024 });
  const r = await p.fetch('/big.ts');
  t.same(r.ok ? null : r.status, 502);
  t.equal(b.total(), 0);
  t.equal(p.status()[0].up, true, 'not the origin\'s fault: it stays up');
});
