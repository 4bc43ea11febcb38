/**
 * A keyed map of in-flight work: concurrent callers for one key share a single run of `fn`
 * (the first caller's), and all of them get its result. The key is free again as soon as the
 * run settles, so the next miss after that starts a new run.
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const existing = this.inFlight.get(key);
    if (existing) return { result: existing, joined: true };
    const result = (async () => {
      try {
        return await fn();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, result);
    return { result, joined: false };
  }

  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  get size(): number {
    return this.inFlight.size;
  }
}
