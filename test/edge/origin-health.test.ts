// OriginHealth's state machine, driven through its probe function: the answers are given by the
// test (the HTTP probe itself meets real servers in origin-pool.test.ts).
import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import { OriginHealth, type OriginHealthOptions } from '../../src/edge/origin-health';
import { sleep } from './edge-harness';

/** A probe whose answers the test gives one by one; counts how many run at once. */
function scriptedProbe() {
  const pending: Array<(failure: string | null) => void> = [];
  const state = { calls: 0, open: 0, maxOpen: 0 };
  return {
    state,
    probe: (): Promise<string | null> => {
      state.calls++;
      state.open++;
      state.maxOpen = Math.max(state.maxOpen, state.open);
      return new Promise((resolve) =>
        pending.push((failure) => {
          state.open--;
          resolve(failure);
        }),
      );
    },
    /** Waits for the next probe to be sent, then answers it. */
    async answer(failure: string | null): Promise<void> {
      for (let i = 0; i < 500 && pending.length === 0; i++) await sleep(5);
      const next = pending.shift();
      if (!next) throw new Error('no probe was sent');
      next(failure);
      await sleep(0);
    },
  };
}

function health(t: { teardown(fn: () => unknown): void }, probe: () => Promise<string | null>, extra: Partial<OriginHealthOptions> = {}) {
  const events: string[] = [];
  const h = new OriginHealth({
    probe,
    intervalMs: 0,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    clock: new ManualClock(),
    onDown: (reason) => events.push(`down: ${reason}`),
    onUp: () => events.push('up'),
    random: () => 1,
    ...extra,
  });
  t.teardown(() => h.close());
  h.start();
  return { h, events };
}

t.test('a failure marks the origin down; it is probed, one probe at a time, until one gets an answer', async (t) => {
  const p = scriptedProbe();
  const { h, events } = health(t, p.probe);
  t.equal(h.up, true);
  t.equal(p.state.calls, 0, 'no probes while up with an interval of 0');
  h.failed('timeout');
  t.equal(h.up, false);
  t.ok(h.nextProbeAt !== null, 'the next probe is scheduled');
  h.failed('another timeout');
  await p.answer('refused');
  await p.answer('refused');
  t.equal(h.up, false);
  await p.answer(null);
  t.equal(h.up, true);
  t.equal(h.nextProbeAt, null);
  t.same(events, ['down: timeout', 'up'], 'one change each way');
  t.same([p.state.calls, p.state.maxOpen], [3, 1]);
});

t.test('a probe sent before the origin failed does not bring it back', async (t) => {
  const p = scriptedProbe();
  const { h, events } = health(t, p.probe, { intervalMs: 5 });
  for (let i = 0; i < 500 && p.state.open === 0; i++) await sleep(5);
  h.failed('timeout');
  await p.answer(null);
  t.equal(h.up, false, 'its answer predates the failure');
  await p.answer(null);
  t.equal(h.up, true, 'the next probe decides');
  t.same(events, ['down: timeout', 'up']);
  t.equal(p.state.maxOpen, 1);
});

t.test('while up, a failed periodic probe marks the origin down', async (t) => {
  const p = scriptedProbe();
  const { h, events } = health(t, p.probe, { intervalMs: 5 });
  await p.answer(null);
  await p.answer(null);
  t.equal(h.up, true);
  await p.answer('no answer within 1000 ms');
  t.equal(h.up, false);
  t.same(events, ['down: health probe: no answer within 1000 ms']);
});

t.test('close stops the probes', async (t) => {
  const p = scriptedProbe();
  const { h } = health(t, p.probe);
  h.failed('refused');
  h.close();
  await sleep(50);
  t.equal(p.state.calls, 0);
});
