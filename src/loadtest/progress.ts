import type { Clock } from '../shared/clock';
import type { Results } from './results';

/** The line printed every few seconds while a run goes: where it is, and the last interval's figures. */
export interface ProgressFigures {
  elapsedS: number;
  durationS: number;
  viewers: number;
  threads: number;
  /** Requests started in the last interval and its length. */
  requests: number;
  intervalS: number;
  errors: number;
  totalErrors: number;
  p99: number;
  bytes: number;
  stalls?: number;
}

export function progressLine(f: ProgressFigures): string {
  const rate = f.intervalS > 0 ? f.requests / f.intervalS : 0;
  const mbit = f.intervalS > 0 ? (f.bytes * 8) / f.intervalS / 1e6 : 0;
  const parts = [
    `[${String(Math.round(f.elapsedS)).padStart(4)}s/${f.durationS}s]`,
    `viewers ${f.viewers}/${f.threads}`,
    `${rate.toFixed(1)} req/s`,
    `${mbit.toFixed(1)} Mbit/s`,
    `p99 ${f.p99.toFixed(1)} ms`,
    `errors ${f.errors} (total ${f.totalErrors})`,
  ];
  if (f.stalls !== undefined) parts.push(`stalls ${f.stalls}`);
  return parts.join('  ');
}

export interface ProgressOptions {
  results: () => Results | undefined;
  viewers: () => number;
  threads: number;
  durationS: number;
  intervalMs: number;
  clock: Clock;
  showStalls: boolean;
  write: (line: string) => void;
}

/** Prints progressLine every interval (covering the whole seconds since the previous line). */
export class Progress {
  private timer?: NodeJS.Timeout;
  private last = 0;

  constructor(private readonly o: ProgressOptions) {}

  start(): void {
    this.last = this.o.clock.now();
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  tick(): void {
    const results = this.o.results();
    if (!results) return;
    const now = this.o.clock.now();
    // Whole seconds only: the current second is still filling.
    const from = this.last;
    const w = results.window(from, now);
    const intervalS = Math.max(0, Math.floor((now - results.startedAt) / 1000) - Math.floor((from - results.startedAt) / 1000));
    this.last = now;
    this.o.write(
      progressLine({
        elapsedS: (now - results.startedAt) / 1000,
        durationS: this.o.durationS,
        viewers: this.o.viewers(),
        threads: this.o.threads,
        requests: w.requests,
        intervalS,
        errors: w.errors,
        totalErrors: results.all().errors,
        p99: w.latency.percentile(99),
        bytes: w.bytes,
        ...(this.o.showStalls ? { stalls: results.stalls } : {}),
      }),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
