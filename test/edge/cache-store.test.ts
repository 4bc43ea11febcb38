import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import { CacheStore } from '../../src/edge/cache-store';
import { makeCachedObject } from '../../src/edge/cached-object';

function object(clock: ManualClock, bytes: number, ttlMs = 60_000) {
  return makeCachedObject({
    status: 200,
    headers: { 'content-type': 'video/mp2t' },
    body: Buffer.alloc(bytes, 1),
    origin: 'http://o',
    storedAt: clock.now(),
    ttlMs,
    staleIfErrorMs: 0,
    staleWhileRevalidateMs: 0,
    handledBy: 'test',
  });
}

t.test('the byte bound evicts least recently used objects', async (t) => {
  const clock = new ManualClock();
  const store = new CacheStore({ maxBytes: 3 * 10_000 + 3 * 600, clock });
  store.set('/a', object(clock, 10_000));
  store.set('/b', object(clock, 10_000));
  store.set('/c', object(clock, 10_000));
  t.equal(store.objects, 3);
  t.ok(store.get('/a'), 'touch /a so /b is now least recently used');
  store.set('/d', object(clock, 10_000));
  t.equal(store.has('/b'), false, '/b evicted');
  t.ok(store.has('/a') && store.has('/c') && store.has('/d'));
  t.ok(store.bytes <= store.maxBytes);
  t.equal(store.evictions, 1);
});

t.test('an object larger than the whole cache is refused', async (t) => {
  const clock = new ManualClock();
  const store = new CacheStore({ maxBytes: 5000, clock });
  t.equal(store.set('/big', object(clock, 10_000)), false);
  t.equal(store.objects, 0);
  t.equal(store.set('/small', object(clock, 100)), true);
});

t.test('purgeUseless drops only entries past every use', async (t) => {
  const clock = new ManualClock();
  const store = new CacheStore({ maxBytes: 1_000_000, clock });
  store.set('/a', object(clock, 10, 1000));
  store.set('/b', object(clock, 10, 5000));
  clock.advance(999);
  t.equal(store.purgeUseless(), 0);
  clock.advance(1);
  t.ok(store.get('/a'), 'an expired entry is still there until purged');
  t.equal(store.purgeUseless(), 1);
  t.same([store.has('/a'), store.has('/b')], [false, true]);
});
