import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import { Progress, progressLine } from '../../src/loadtest/progress';
import { Results } from '../../src/loadtest/results';

t.test('the progress line shows position, viewers, rates, p99, errors and stalls', async (t) => {
  const line = progressLine({ elapsedS: 12.4, durationS: 180, viewers: 40, threads: 150, requests: 500, intervalS: 5, errors: 2, totalErrors: 7, p99: 12.345, bytes: 12_500_000, stalls: 1 });
  t.equal(line, '[  12s/180s]  viewers 40/150  100.0 req/s  20.0 Mbit/s  p99 12.3 ms  errors 2 (total 7)  stalls 1');
});

t.test('each tick covers the whole seconds since the previous one', async (t) => {
  const clock = new ManualClock();
  const results = new Results(clock.now());
  const lines: string[] = [];
  const p = new Progress({ results: () => results, viewers: () => 3, threads: 3, durationS: 10, intervalMs: 2000, clock, showStalls: false, write: (l) => lines.push(l) });
  p.start();
  p.stop();
  for (let i = 0; i < 40; i++) results.record({ type: 'segment', startedAt: clock.now() + i * 100, ms: 5, bytes: 1000, status: 200 });
  results.record({ type: 'segment', startedAt: clock.now() + 3900, ms: 5, bytes: 0, error: 'timeout' });
  clock.advance(2000);
  p.tick();
  clock.advance(2000);
  p.tick();
  t.match(lines[0], /viewers 3\/3  10\.0 req\/s .* errors 0 \(total 1\)$/);
  t.match(lines[1], /10\.5 req\/s .* errors 1 \(total 1\)$/);
});
