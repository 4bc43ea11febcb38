import t from 'tap';
import { isScError, scError } from '../../src/shared/errors';
import { backoffDelay, retry, sleep } from '../../src/shared/retry';

t.test('backoff doubles from the base up to the cap; full jitter stays within it', async (t) => {
  const opts = { baseMs: 100, maxMs: 1000, jitter: 'none' as const };
  t.same([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts)), [100, 200, 400, 800, 1000, 1000]);
  t.equal(backoffDelay(3, { baseMs: 100, maxMs: 1000 }, () => 0.5), 200);
  t.equal(backoffDelay(3, { baseMs: 100, maxMs: 1000 }, () => 0), 0);
  t.ok(backoffDelay(10, { baseMs: 100, maxMs: 1000 }, () => 0.999999) < 1000);
});

t.test('retries until success, waiting the backoff between attempts', async (t) => {
  const waits: number[] = [];
  let calls = 0;
  const v = await retry(
    async (attempt) => {
      calls++;
      if (attempt < 3) throw new Error(`fail ${attempt}`);
      return 'ok';
    },
    { attempts: 5, baseMs: 10, maxMs: 100, jitter: 'none', sleep: async (ms) => void waits.push(ms) },
  );
  t.equal(v, 'ok');
  t.equal(calls, 3);
  t.same(waits, [10, 20]);
});

t.test('gives up after the attempts with the last error', async (t) => {
  let n = 0;
  await t.rejects(
    retry(async () => {
      throw new Error(`fail ${++n}`);
    }, { attempts: 3, baseMs: 1, maxMs: 1, sleep: async () => undefined }),
    { message: 'fail 3' },
  );
});

t.test('errors that are not retryable are thrown at once', async (t) => {
  let n = 0;
  await t.rejects(
    retry(
      async () => {
        n++;
        throw scError('SC_ERR_BAD_PATH', 'x');
      },
      { attempts: 5, baseMs: 1, maxMs: 1, retryable: (e) => !isScError(e, 'SC_ERR_BAD_PATH'), sleep: async () => undefined },
    ),
    { code: 'SC_ERR_BAD_PATH' },
  );
  t.equal(n, 1);
});

t.test('an abort during the wait stops the retries', async (t) => {
  const ac = new AbortController();
  let n = 0;
  const p = retry(
    async () => {
      n++;
      throw new Error('down');
    },
    { attempts: Infinity, baseMs: 60_000, maxMs: 60_000, jitter: 'none', signal: ac.signal },
  );
  setTimeout(() => ac.abort(new Error('shutting down')), 20);
  await t.rejects(p, { message: 'shutting down' });
  t.equal(n, 1);
});

t.test('onRetry sees each failure and delay', async (t) => {
  const seen: Array<[string, number, number]> = [];
  await retry(
    async (a) => {
      if (a < 3) throw new Error(`e${a}`);
    },
    { attempts: 3, baseMs: 5, maxMs: 50, jitter: 'none', sleep: async () => undefined, onRetry: (e, a, d) => seen.push([(e as Error).message, a, d]) },
  );
  t.same(seen, [
    ['e1', 1, 5],
    ['e2', 2, 10],
  ]);
});

t.test('sleep rejects at once when already aborted', async (t) => {
  const ac = new AbortController();
  ac.abort();
  await t.rejects(sleep(10_000, ac.signal), { name: 'AbortError' });
});
