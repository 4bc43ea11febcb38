import t from 'tap';
import { gaussian, gaussianThinkMs, seededRandom } from '../../src/loadtest/think-time';

t.test('a seeded source repeats its sequence and stays in [0, 1)', async (t) => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 1000 }, () => a());
  t.same(Array.from({ length: 1000 }, () => b()), xs);
  t.not(c(), xs[0], 'another seed, another sequence');
  t.ok(xs.every((x) => x >= 0 && x < 1));
});

t.test('gaussian samples have mean 0 and deviation 1', async (t) => {
  const r = seededRandom(7);
  const n = 20_000;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const g = gaussian(r);
    sum += g;
    sq += g * g;
  }
  const mean = sum / n;
  const sd = Math.sqrt(sq / n - mean * mean);
  t.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  t.ok(Math.abs(sd - 1) < 0.03, `deviation ${sd}`);
});

t.test('think time is |gaussian × deviation + delay| like JMeter\'s Gaussian timer', async (t) => {
  t.equal(gaussianThinkMs(seededRandom(1), 1000, 0), 1000, 'no deviation: the constant delay');
  const r = seededRandom(3);
  const xs = Array.from({ length: 20_000 }, () => gaussianThinkMs(r, 1000, 3000));
  t.ok(xs.every((x) => x >= 0), 'never negative');
  const within = xs.filter((x) => x <= 4000).length / xs.length;
  // |N(1000, 3000)| <= 4000 holds for P(-5000 <= X <= 4000) = Phi(1) - Phi(-5/3) ~ 0.794.
  t.ok(Math.abs(within - 0.794) < 0.02, `share up to 4 s: ${within}`);
  // A fixed sequence from a fixed seed: the same viewer thinks the same way in every run.
  const again = seededRandom(3);
  t.equal(gaussianThinkMs(again, 1000, 3000), xs[0]);
});
