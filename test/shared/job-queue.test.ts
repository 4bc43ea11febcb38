import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { ManualClock } from '../../src/shared/clock';
import { isScError } from '../../src/shared/errors';
import type { JobQueue, QueueMessage } from '../../src/shared/job-queue';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { SqsJobQueue } from '../../src/shared/job-queue-sqs';
import { createLogger } from '../../src/shared/logger';
import { sleep } from '../../src/shared/retry';
import { buildS3PutEvent } from '../../src/shared/s3-event';

const log = createLogger({ level: 'silent', name: 'test' });
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function tempDir(t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sc-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves with the promise's value, or with 'timeout' after a generous guard (no timing asserted beyond "it returned"). */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

let sqsServer: Server;
let sqsEndpoint: string;
t.before(async () => {
  sqsServer = await createSqsServer({ port: 0, hostname: '127.0.0.1' });
  sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as { port: number }).port}`;
});
t.teardown(() => {
  sqsServer?.closeAllConnections();
  return new Promise<void>((resolve) => (sqsServer ? sqsServer.close(() => resolve()) : resolve()));
});

interface Harness {
  readonly queue: JobQueue;
  /**
   * Lets `seconds` of visibility time pass: the manual clock for the local queue, real time for SQS.
   * Receives that expect a redelivery also long-poll a little, so a busy machine's late timer in the
   * SQS server does not turn into a flaky result.
   */
  expire(seconds: number): Promise<void>;
  /** Bodies and reasons in the dead-letter queue (local: its dead/ folder; SQS: the RedrivePolicy's queue). */
  deadLetters(): Promise<Array<{ body: string; reason?: string }>>;
}

interface Impl {
  readonly name: string;
  make(t: Test): Promise<Harness>;
}

let queueNo = 0;
const impls: Impl[] = [
  {
    name: 'local',
    async make(t) {
      const clock = new ManualClock(Date.now());
      const queue = new LocalJobQueue({ root: join(tempDir(t, 'queue'), 'q'), log, clock, pollMs: 25 });
      t.teardown(() => queue.close());
      return {
        queue,
        expire: async (s) => clock.advance(s * 1000 + 1),
        deadLetters: async () => (await queue.deadLetters()).map(({ body, reason }) => ({ body, reason })),
      };
    },
  },
  {
    name: 'sqs',
    async make(t) {
      const admin = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials });
      t.teardown(() => admin.destroy());
      const n = ++queueNo;
      const dlq = await admin.send(new CreateQueueCommand({ QueueName: `jobs-${process.pid}-${n}-dlq` }));
      const dlqArn = (await admin.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      const { QueueUrl } = await admin.send(
        new CreateQueueCommand({
          QueueName: `jobs-${process.pid}-${n}`,
          Attributes: { RedrivePolicy: JSON.stringify({ maxReceiveCount: 5, deadLetterTargetArn: dlqArn }) },
        }),
      );
      const queue = new SqsJobQueue({ queueUrl: QueueUrl!, log, credentials, region: 'us-east-1' });
      t.teardown(() => queue.close());
      return {
        queue,
        expire: (s) => sleep(s * 1000 + 250),
        async deadLetters() {
          const got = await admin.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
          return (got.Messages ?? []).map((m) => ({ body: m.Body ?? '', reason: m.MessageAttributes?.SpherecastReason?.StringValue }));
        },
      };
    },
  },
];

for (const impl of impls) {
  t.test(`${impl.name}: deadLetter moves a received message to the dead-letter queue at once, with its reason`, async (t) => {
    const h = await impl.make(t);
    await h.queue.send('hopeless');
    const [first] = await h.queue.receive({ visibilitySeconds: 1 });
    await h.queue.send('fine');
    t.equal(first.body, 'hopeless');
    t.equal(first.receiveCount, 1);
    await h.queue.deadLetter(first, 'SC_ERR_MEDIA_REFUSED: source x.mp4 refused: its content is a text file');
    t.same(await h.deadLetters(), [{ body: 'hopeless', reason: 'SC_ERR_MEDIA_REFUSED: source x.mp4 refused: its content is a text file' }]);
    await h.expire(1);
    const rest = await h.queue.receive({ maxMessages: 10, waitSeconds: 1 });
    t.same(rest.map((m) => m.body), ['fine'], 'the dead letter is not received again');
  });

  t.test(`${impl.name}: send then receive; an in-flight message is invisible to others`, async (t) => {
    const { queue } = await impl.make(t);
    const id = await queue.send('job one');
    t.type(id, 'string');
    const [m] = await queue.receive({ visibilitySeconds: 30 });
    t.match(m, { id, body: 'job one', receiveCount: 1 });
    t.type(m.receiptHandle, 'string');
    t.same(await queue.receive({ visibilitySeconds: 30 }), [], 'not visible while in flight');
  });

  t.test(`${impl.name}: bodies round-trip exactly (S3 event with unicode key)`, async (t) => {
    const { queue } = await impl.make(t);
    const body = buildS3PutEvent({ bucket: 'ingress', key: 'rec/ü 雪+1.mp4', size: 42, etag: 'abc' });
    await queue.send(body);
    const [m] = await queue.receive();
    t.equal(m.body, body);
  });

  t.test(`${impl.name}: a long poll returns when a message arrives`, async (t) => {
    const { queue } = await impl.make(t);
    const polling = queue.receive({ waitSeconds: 20 });
    await sleep(300);
    await queue.send('late arrival');
    const got = await within(polling, 15_000);
    t.not(got, 'timeout', 'returned before the 20 s wait ran out');
    t.equal((got as QueueMessage[])[0]?.body, 'late arrival');
  });

  t.test(`${impl.name}: a long poll on an empty queue returns nothing after the wait`, async (t) => {
    const { queue } = await impl.make(t);
    t.same(await queue.receive({ waitSeconds: 1 }), []);
  });

  t.test(`${impl.name}: aborting a long poll ends it with nothing`, async (t) => {
    const { queue } = await impl.make(t);
    const ac = new AbortController();
    const polling = queue.receive({ waitSeconds: 20, signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    t.same(await within(polling, 15_000), []);
  });

  t.test(`${impl.name}: a message not deleted reappears after its visibility timeout`, async (t) => {
    const { queue, expire } = await impl.make(t);
    await queue.send('retry me');
    const [first] = await queue.receive({ visibilitySeconds: 1 });
    await expire(1);
    const [again] = await queue.receive({ visibilitySeconds: 1, waitSeconds: 3 });
    t.equal(again?.id, first.id);
    t.equal(again?.body, 'retry me');
    t.equal(again?.receiveCount, 2);
    t.not(again?.receiptHandle, first.receiptHandle, 'each receive has its own receipt handle');
  });

  t.test(`${impl.name}: a consumer that fails does not delete, and the job comes back`, async (t) => {
    const { queue, expire } = await impl.make(t);
    await queue.send('flaky job');
    const handle = async (m: QueueMessage): Promise<void> => {
      try {
        throw new Error(`transcode of ${m.body} failed`);
        // eslint-disable-next-line no-unreachable
        await queue.delete(m);
      } catch {
        // The worker logs and moves on; the queue redelivers.
      }
    };
    const [m] = await queue.receive({ visibilitySeconds: 1 });
    await handle(m);
    await expire(1);
    const [back] = await queue.receive({ visibilitySeconds: 1, waitSeconds: 3 });
    t.equal(back?.body, 'flaky job');
  });

  t.test(`${impl.name}: extend keeps a message invisible past its first timeout`, async (t) => {
    const { queue, expire } = await impl.make(t);
    await queue.send('long job');
    const [m] = await queue.receive({ visibilitySeconds: 1 });
    await queue.extend(m, 4);
    await expire(1.5);
    t.same(await queue.receive(), [], 'still invisible after the original timeout');
    await expire(3);
    const [back] = await queue.receive({ waitSeconds: 3 });
    t.equal(back?.id, m.id, 'visible after the extended timeout');
  });

  t.test(`${impl.name}: release makes a message visible at once`, async (t) => {
    const { queue } = await impl.make(t);
    await queue.send('give back');
    const [m] = await queue.receive({ visibilitySeconds: 60 });
    await queue.release(m);
    const [back] = await queue.receive({ visibilitySeconds: 60 });
    t.equal(back?.id, m.id);
    // SQS says 2; local-aws-sqs 2.0.2 also counts the ChangeMessageVisibility as a receive (3).
    t.ok(back && back.receiveCount > m.receiveCount, 'counted as another receive');
  });

  t.test(`${impl.name}: delete removes a message for good`, async (t) => {
    const { queue, expire } = await impl.make(t);
    await queue.send('done job');
    const [m] = await queue.receive({ visibilitySeconds: 1 });
    await queue.delete(m);
    await expire(1);
    t.same(await queue.receive(), []);
  });

  t.test(`${impl.name}: receiveCount increments on each receive`, async (t) => {
    const { queue, expire } = await impl.make(t);
    await queue.send('counted');
    const counts = [];
    for (let i = 0; i < 3; i++) {
      const [m] = await queue.receive({ visibilitySeconds: 1, waitSeconds: 3 });
      counts.push(m?.receiveCount);
      await expire(1);
    }
    t.same(counts, [1, 2, 3]);
  });

  t.test(`${impl.name}: several messages are each delivered once`, async (t) => {
    const { queue } = await impl.make(t);
    for (const b of ['a', 'b', 'c', 'd']) await queue.send(b);
    const seen: string[] = [];
    for (let i = 0; i < 10 && seen.length < 4; i++) {
      for (const m of await queue.receive({ maxMessages: 10, visibilitySeconds: 30, waitSeconds: 1 })) seen.push(m.body);
    }
    t.same(seen.sort(), ['a', 'b', 'c', 'd']);
  });
}

// ---- local-only behaviour ----

function localQueue(t: Test, root: string, extra: { clock?: ManualClock; maxReceiveCount?: number } = {}): LocalJobQueue {
  const q = new LocalJobQueue({ root, log, pollMs: 25, ...extra });
  t.teardown(() => q.close());
  return q;
}

t.test('local: dead-letters a message after maxReceiveCount receives', async (t) => {
  const clock = new ManualClock(Date.now());
  const root = join(tempDir(t, 'dlq'), 'q');
  const q = localQueue(t, root, { clock, maxReceiveCount: 2 });
  await q.send('poison');
  await q.send('fine');
  const counts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const got = await q.receive({ visibilitySeconds: 5, maxMessages: 10 });
    for (const m of got) if (m.body === 'poison') counts.push(m.receiveCount);
    for (const m of got) if (m.body === 'fine') await q.delete(m);
    clock.advance(6000);
  }
  t.same(counts, [1, 2]);
  t.same(await q.receive({ maxMessages: 10 }), [], 'not delivered a third time');
  const dead = await q.deadLetters();
  t.equal(dead.length, 1);
  t.match(dead[0], { body: 'poison', receiveCount: 2 });
  t.same(readdirSync(join(root, 'dead')).length, 1, 'in dead/');
});

t.test('local: messages survive a restart, in flight ones too', async (t) => {
  const clock = new ManualClock(Date.now());
  const root = join(tempDir(t, 'restart'), 'q');
  const first = new LocalJobQueue({ root, log, clock });
  await first.send('one');
  await first.send('two');
  const [taken] = await first.receive({ visibilitySeconds: 30 });
  await first.close();

  const second = localQueue(t, root, { clock });
  const [other] = await second.receive({ visibilitySeconds: 30 });
  t.not(other?.body, taken.body, 'the ready message');
  t.same(await second.receive(), []);
  clock.advance(31_000);
  const [back] = await second.receive({ visibilitySeconds: 30 });
  t.equal(back?.body, taken.body, 'the in-flight one after its timeout');
  t.equal(back?.receiveCount, 2);
});

t.test('local: a stale receipt handle neither deletes nor extends a message redelivered to someone else', async (t) => {
  const clock = new ManualClock(Date.now());
  const q = localQueue(t, join(tempDir(t, 'stale'), 'q'), { clock });
  await q.send('contested');
  const [slow] = await q.receive({ visibilitySeconds: 5 });
  clock.advance(6000);
  const [fast] = await q.receive({ visibilitySeconds: 5 });
  t.equal(fast?.id, slow.id);
  await q.delete(slow); // the slow consumer finishes late
  try {
    await q.extend(slow, 30);
    t.fail('extend with a stale handle succeeded');
  } catch (err) {
    t.ok(isScError(err, 'SC_ERR_QUEUE'), 'extend with a stale handle is SC_ERR_QUEUE');
  }
  clock.advance(6000);
  const [third] = await q.receive({ visibilitySeconds: 5 });
  t.equal(third?.id, slow.id, 'still there: the stale delete did not remove it');
  t.equal(third?.receiveCount, 3);
  await q.delete(third);
  clock.advance(6000);
  t.same(await q.receive(), [], 'the current handle deletes');
});

t.test('local: a receipt handle that is not from a local queue is SC_ERR_QUEUE', async (t) => {
  const q = localQueue(t, join(tempDir(t, 'badrh'), 'q'));
  const fake: QueueMessage = { id: 'x', receiptHandle: '../../etc/passwd', body: '', receiveCount: 1 };
  for (const op of ['extend', 'delete', 'release'] as const) {
    try {
      await (op === 'extend' ? q.extend(fake, 1) : q[op](fake));
      t.fail(`${op} accepted it`);
    } catch (err) {
      t.ok(isScError(err, 'SC_ERR_QUEUE'), op);
    }
  }
});

t.test('local: a corrupt message file is dead-lettered, not a crash', async (t) => {
  const root = join(tempDir(t, 'corrupt'), 'q');
  const q = localQueue(t, root);
  writeFileSync(join(root, 'ready', '000000000000001-0123456789abcdef.0'), '{not json');
  await q.send('good');
  const got = await q.receive({ maxMessages: 10 });
  t.same(got.map((m) => m.body), ['good']);
  t.equal(readdirSync(join(root, 'dead')).length, 1);
});

t.test('local: oversized bodies and unusable folders are clear SC_ERR_QUEUE errors', async (t) => {
  const dir = tempDir(t, 'bad');
  const q = localQueue(t, join(dir, 'q'));
  try {
    await q.send('x'.repeat(256 * 1024 + 1));
    t.fail('accepted');
  } catch (err) {
    t.ok(isScError(err, 'SC_ERR_QUEUE'));
    t.match((err as Error).message, /limit/);
  }
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => new LocalJobQueue({ root: join(dir, 'file', 'q'), log }), { code: 'SC_ERR_QUEUE', message: /cannot create queue folders/ });
});

// ---- several processes ----

const FIXTURE = join(__dirname, '..', 'fixtures', 'queue-consumer.ts');
const TS_LOADER = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));

function consumer(t: Test, mode: 'work' | 'hang', root: string, claims: string): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const child = spawn(process.execPath, [...TS_LOADER, FIXTURE, mode, root, claims], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

t.test('local: two consumer processes never hold the same message and together get each exactly once', async (t) => {
  const dir = tempDir(t, 'multi');
  const root = join(dir, 'q');
  const claims = join(dir, 'claims');
  mkdirSync(claims);
  const q = localQueue(t, root);
  const a = consumer(t, 'work', root, claims);
  const b = consumer(t, 'work', root, claims);
  for (const c of [a, b]) t.same(JSON.parse((await c.lines.next()).value), { ready: true });
  const N = 120;
  const sent = [];
  for (let i = 0; i < N; i++) sent.push(`job-${String(i).padStart(3, '0')}`);
  for (const body of sent) await q.send(body);

  const results = await Promise.all(
    [a, b].map(async (c) => {
      const done: string[] = [];
      const violations: string[] = [];
      for await (const line of { [Symbol.asyncIterator]: () => c.lines }) {
        const o = JSON.parse(line);
        if (o.done) done.push(o.done);
        if (o.violation) violations.push(o.violation);
      }
      const [code] = await (c.child.exitCode === null ? once(c.child, 'exit') : [c.child.exitCode]);
      return { done, violations, code };
    }),
  );
  t.same(results.map((r) => r.code), [0, 0], 'both consumers exit cleanly');
  t.same(results.flatMap((r) => r.violations), [], 'no message held by both at once');
  const all = results.flatMap((r) => r.done).sort();
  t.same(all, sent, 'every message processed exactly once');
  t.ok(results[0].done.length > 0 && results[1].done.length > 0, `both did work (${results[0].done.length} + ${results[1].done.length})`);
  t.same(readdirSync(join(root, 'ready')), []);
  t.same(readdirSync(join(root, 'inflight')), []);
});

t.test('local: a consumer killed mid-job (SIGKILL) gives its message back after the visibility timeout', async (t) => {
  const dir = tempDir(t, 'crash');
  const root = join(dir, 'q');
  const clock = new ManualClock(Date.now());
  const q = localQueue(t, root, { clock });
  await q.send('crashy');
  const c = consumer(t, 'hang', root, dir);
  const took = JSON.parse((await c.lines.next()).value);
  t.equal(took.body, 'crashy');
  c.child.kill('SIGKILL');
  await once(c.child, 'exit');
  t.same(await q.receive(), [], 'still invisible right after the crash');
  // The child measured its 30 s on the real clock from when it received; move past that.
  clock.advance(Date.now() - clock.now() + 31_000);
  const [back] = await q.receive();
  t.equal(back?.id, took.took);
  t.equal(back?.receiveCount, 2);
});
