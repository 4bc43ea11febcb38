/**
 * Think time between rounds, as the reference plan's JMeter GaussianRandomTimer computes it:
 * |gaussian × deviation + constant delay| (lab.jmx: constant 1000 ms, deviation 3000 ms).
 * The random source is injected so tests are deterministic.
 */
export type RandomSource = () => number;

/** A small seeded generator (mulberry32): same seed, same sequence. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample (Box-Muller) from two uniform samples. */
export function gaussian(random: RandomSource): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function gaussianThinkMs(random: RandomSource, delayMs: number, deviationMs: number): number {
  return Math.abs(gaussian(random) * deviationMs + delayMs);
}
