import type { Clock } from '../shared/clock';
import { backoffDelay } from '../shared/retry';

/**
 * Whether one origin answers at all, as the edge last found out: up, or down from the moment a
 * request or a health probe found it not answering (a timeout, a refused or broken connection)
 * until a health probe gets an answer again. While it is down no client request is sent to it:
 * the only traffic is one probe at a time, retried with backoff, so a hung origin costs clients
 * nothing and its recovery is noticed within one backoff step. While it is up it is probed every
 * `intervalMs` as well, so a hang is found even before a request runs into UPSTREAM_TIMEOUT.
 */
export interface OriginHealthOptions {
  /** Asks the origin once; resolves with null when it answered, else with why not. Bounded by its own timeout. */
  probe(): Promise<string | null>;
  /** Between probes while the origin is up; 0 = only probe after a failure. */
  intervalMs: number;
  /** First retry of a down origin; later ones double up to `backoffMaxMs` (with jitter, so edges do not probe in step). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  clock: Clock;
  onDown(reason: string): void;
  onUp(): void;
  /** Injected for tests. */
  random?: () => number;
}

export class OriginHealth {
  private readonly opts: OriginHealthOptions;
  private isUp = true;
  /** Bumped on every change of state: a probe sent before a change says nothing about after it. */
  private generation = 0;
  private probing = false;
  private failedProbes = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextAt: number | null = null;
  private started = false;
  private closed = false;

  constructor(opts: OriginHealthOptions) {
    this.opts = opts;
  }

  get up(): boolean {
    return this.isUp;
  }

  /** When a down origin is probed next (clock time); null while it is up or a probe is under way. */
  get nextProbeAt(): number | null {
    return this.isUp || this.probing ? null : this.nextAt;
  }

  /** Starts the periodic probes of an up origin (a down one is probed from the moment it fails). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.isUp) this.scheduleUpProbe();
  }

  /** A request found the origin not answering: down at once, probed until it answers again. */
  failed(reason: string): void {
    if (this.closed || !this.isUp) return;
    this.markDown(reason);
  }

  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  private markDown(reason: string): void {
    this.isUp = false;
    this.generation++;
    this.failedProbes = 0;
    this.opts.onDown(reason);
    // A probe already under way reschedules when it settles; never two at once.
    if (!this.probing) this.schedule(this.retryDelay());
  }

  private retryDelay(): number {
    return backoffDelay(this.failedProbes + 1, { baseMs: Math.min(this.opts.backoffBaseMs, this.opts.backoffMaxMs), maxMs: this.opts.backoffMaxMs }, this.opts.random);
  }

  private scheduleUpProbe(): void {
    if (this.started && this.opts.intervalMs > 0) this.schedule(this.opts.intervalMs);
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.closed) return;
    this.nextAt = this.opts.clock.now() + ms;
    this.timer = setTimeout(() => void this.runProbe(), ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async runProbe(): Promise<void> {
    this.timer = null;
    if (this.closed || this.probing) return;
    this.probing = true;
    const generation = this.generation;
    let failure: string | null;
    try {
      failure = await this.opts.probe();
    } catch (err) {
      failure = (err as Error).message;
    }
    this.probing = false;
    if (this.closed) return;
    if (generation !== this.generation) {
      // The origin was marked down while this probe ran: its answer predates the failure.
      this.schedule(this.retryDelay());
    } else if (failure === null) {
      this.failedProbes = 0;
      if (!this.isUp) {
        this.isUp = true;
        this.generation++;
        this.opts.onUp();
      }
      this.scheduleUpProbe();
    } else if (this.isUp) {
      this.markDown(`health probe: ${failure}`);
    } else {
      this.failedProbes++;
      this.schedule(this.retryDelay());
    }
  }
}
