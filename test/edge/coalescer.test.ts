import t from 'tap';
import { Coalescer } from '../../src/edge/coalescer';

t.test('concurrent runs for one key share one execution and its result', async (t) => {
  const c = new Coalescer<number>();
  let calls = 0;
  let release!: (n: number) => void;
  const fn = () => {
    calls++;
    return new Promise<number>((r) => (release = r));
  };
  const runs = Array.from({ length: 100 }, () => c.run('k', fn));
  t.equal(calls, 1);
  t.same(runs.map((r) => r.joined).filter(Boolean).length, 99);
  t.equal(c.size, 1);
  release(42);
  t.same(await Promise.all(runs.map((r) => r.result)), Array(100).fill(42));
  t.equal(c.size, 0, 'the key is released when the run settles');
});

t.test('different keys run independently; a settled key runs again', async (t) => {
  const c = new Coalescer<string>();
  let calls = 0;
  const fn = async () => `r${++calls}`;
  const [a, b] = [c.run('a', fn), c.run('b', fn)];
  t.same(await Promise.all([a.result, b.result]), ['r1', 'r2']);
  t.equal(await c.run('a', fn).result, 'r3');
});

t.test('a failure reaches every waiter and frees the key', async (t) => {
  const c = new Coalescer<void>();
  let reject!: (e: Error) => void;
  const first = c.run('k', () => new Promise<void>((_, rj) => (reject = rj)));
  const second = c.run('k', async () => undefined);
  t.equal(second.joined, true);
  reject(new Error('boom'));
  await t.rejects(first.result, /boom/);
  await t.rejects(second.result, /boom/);
  t.equal(c.has('k'), false);
});
