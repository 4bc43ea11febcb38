/**
 * Retry with exponential backoff and full jitter (the AWS architecture-blog scheme): attempt n
 * waits a random time in [0, min(maxMs, baseMs * 2^(n-1))]. Jitter spreads retries of many
 * workers hitting the same recovering store instead of having them retry in lockstep.
 */
export interface BackoffOptions {
  /** Delay cap before jitter for the first retry. */
  readonly baseMs: number;
  /** Upper bound for any single delay. */
  readonly maxMs: number;
  /** 'full' (default): uniform in [0, cap]; 'none': exactly the cap (for predictable tests). */
  readonly jitter?: 'full' | 'none';
}

export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first; Infinity retries until success or abort. */
  readonly attempts: number;
  readonly signal?: AbortSignal;
  /** Return false for errors that retrying cannot fix (bad input); they are thrown at once. */
  readonly retryable?: (err: unknown) => boolean;
  /** Called before each wait, e.g. to log. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Injected for tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

/** Delay before retry number `attempt` (1 = the first retry). Pure given `random`. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const cap = Math.max(0, exp);
  return opts.jitter === 'none' ? cap : Math.floor(random() * cap);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/**
 * Runs `fn` until it resolves, the attempts are used up (the last error is thrown), the error is
 * not retryable, or the signal aborts (the abort reason is thrown).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const wait = opts.sleep ?? sleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts) throw err;
      if (opts.retryable && !opts.retryable(err)) throw err;
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const delay = backoffDelay(attempt, opts, random);
      opts.onRetry?.(err, attempt, delay);
      await wait(delay, opts.signal);
    }
  }
}
