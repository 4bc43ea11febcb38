import type { Clock } from '../shared/clock';
import { ConnectionPool } from './connection-pool';
import { MediaFetcher, USER_AGENT, type FetchedEvent } from './media-fetcher';
import { Results } from './results';
import { StopSignal } from './stop-signal';
import { seededRandom, type RandomSource } from './think-time';
import type { Viewer } from './viewer-context';

/**
 * Runs a load test: `threads` viewers started evenly over the ramp-up (viewer i at i × rampup / threads, as a
 * JMeter thread group does), all stopped when `duration` has passed since the start. The viewers' keep-alive
 * connections (ConnectionPool) cost a socket each and a few allocations per request, so thousands of viewers
 * cost sockets and timers, not threads, and little CPU beside the tier being measured.
 */
export interface LoadRunnerOptions {
  threads: number;
  rampupMs: number;
  durationMs: number;
  viewer: Viewer;
  clock: Clock;
  /** Keep-alive connections per origin (0 = one per viewer). */
  connections: number;
  /** Connect, header and body-idle timeout per request (ms). */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Same seed, same think times; unset = Math.random. */
  seed?: number;
  onFetched?: (e: FetchedEvent) => void;
  onViewerError?: (viewer: number, err: unknown) => void;
}

export interface RunOutcome {
  results: Results;
  startedAt: number;
  endedAt: number;
  /** Why the run ended: 'duration' or the reason given to stop(). */
  reason: string;
}

export class LoadRunner {
  private readonly signal = new StopSignal();
  private reason = 'duration';
  private active = 0;
  results?: Results;

  constructor(private readonly o: LoadRunnerOptions) {}

  get activeViewers(): number {
    return this.active;
  }

  /** Ends the run early (e.g. SIGINT); run() still resolves with what was measured. */
  stop(reason: string): void {
    if (this.signal.stopping) return;
    this.reason = reason;
    this.signal.stop();
  }

  async run(): Promise<RunOutcome> {
    const o = this.o;
    const startedAt = o.clock.now();
    const results = new Results(startedAt);
    this.results = results;
    const pool = new ConnectionPool({ connections: o.connections, headers: { 'user-agent': USER_AGENT, ...o.headers }, timeoutMs: o.timeoutMs });
    const fetcher = new MediaFetcher({ pool, results, clock: o.clock, onFetched: o.onFetched });
    const stopTimer = setTimeout(() => this.signal.stop(), o.durationMs);
    const viewers: Promise<void>[] = [];
    for (let i = 0; i < o.threads; i++) {
      const random: RandomSource = o.seed === undefined ? Math.random : seededRandom(o.seed + i);
      viewers.push(this.runViewer(i, startedAt + (o.rampupMs * i) / o.threads, { id: i, fetcher, results, clock: o.clock, stop: this.signal, random }));
    }
    const all = Promise.all(viewers);
    await Promise.race([all, this.stopped()]);
    clearTimeout(stopTimer);
    this.signal.stop();
    // Requests in flight get their own timeout to finish and be counted; then they are cut off.
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (graceTimer = setTimeout(r, o.timeoutMs + 1000)));
    await Promise.race([all, grace]);
    clearTimeout(graceTimer);
    this.signal.abort();
    pool.destroy();
    await all;
    const endedAt = o.clock.now();
    return { results, startedAt, endedAt, reason: this.reason };
  }

  private stopped(): Promise<void> {
    return new Promise((resolve) => {
      const check = async () => {
        while (!this.signal.stopping) await this.signal.sleep(3_600_000);
        resolve();
      };
      void check();
    });
  }

  private async runViewer(id: number, startAt: number, ctx: Parameters<Viewer>[0]): Promise<void> {
    await this.signal.sleep(startAt - this.o.clock.now());
    if (this.signal.stopping) return;
    this.active++;
    ctx.results.viewers(this.active, this.o.clock.now());
    try {
      await this.o.viewer(ctx);
    } catch (err) {
      this.o.onViewerError?.(id, err);
    } finally {
      this.active--;
      ctx.results.viewers(this.active, this.o.clock.now());
    }
  }
}
