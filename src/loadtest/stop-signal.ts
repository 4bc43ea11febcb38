/**
 * How a run ends: first gracefully (no viewer starts another request, every pause ends at once, requests
 * in flight finish and are counted), then, if they take too long, by aborting them.
 */
import { setMaxListeners } from 'node:events';

export class StopSignal {
  private readonly controller = new AbortController();
  private readonly wakers = new Set<() => void>();
  private stopped = false;

  constructor() {
    // Every request of every viewer listens on this one signal.
    setMaxListeners(0, this.controller.signal);
  }

  get stopping(): boolean {
    return this.stopped;
  }

  /** Aborts requests still in flight after a graceful stop. */
  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  /** Waits `ms`, or less if the run stops meanwhile. */
  sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
  }

  abort(): void {
    this.stop();
    this.controller.abort();
  }
}
