import { unlink } from 'node:fs/promises';
import type { Clock } from '../shared/clock';

/**
 * Files that must go, but not yet (segments kept for players still reading them). The timers do
 * not keep the process alive: whatever is still waiting at exit is found again on the next start
 * (see hls-leftovers.ts) and given its time then.
 */
export class DelayedUnlink {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly clock: Clock) {}

  schedule(path: string, atMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      unlink(path).catch(() => undefined);
    }, Math.max(0, atMs - this.clock.now()));
    timer.unref();
    this.timers.add(timer);
  }

  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
