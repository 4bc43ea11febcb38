import { spawn } from 'node:child_process';
import { SpherecastError } from './errors';

export interface BoundedChildOptions {
  /** Names the work in errors (an object key rather than a scratch path). */
  readonly label: string;
  /** Wall-clock limit; the process group is killed when it passes. */
  readonly timeoutMs: number;
  /** Aborting kills the process group (shutdown). */
  readonly signal?: AbortSignal;
  /** Most bytes of stdout (and of stderr) kept; more kills the process. */
  readonly maxOutputBytes: number;
}

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program in its own process group with a wall-clock limit, an output cap and an abort
 * signal. On any of them the whole group gets SIGKILL, so nothing it started outlives it.
 * Resolves with the exit code and output (a non-zero exit is the caller's to judge); rejects with
 * SC_ERR_TIME_LIMIT on timeout, SC_ERR_TRANSCODE "stopped" on abort, SC_ERR_MEDIA on too much output.
 */
export function runBoundedChild(bin: string, args: readonly string[], opts: BoundedChildOptions): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new SpherecastError('SC_ERR_TRANSCODE', [opts.label, 'stopped']));
      return;
    }
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: Error | undefined;
    const killGroup = (why: Error): void => {
      failure ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () => killGroup(new SpherecastError('SC_ERR_TIME_LIMIT', [opts.label, String(opts.timeoutMs / 1000)])),
      opts.timeoutMs,
    );
    const onAbort = (): void => killGroup(new SpherecastError('SC_ERR_TRANSCODE', [opts.label, 'stopped']));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > opts.maxOutputBytes) killGroup(new SpherecastError('SC_ERR_MEDIA', [`${opts.label}: ${bin} wrote over ${opts.maxOutputBytes} bytes`]));
      else out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      // stderr is only for the error message: keep its start, drop the rest.
      if (errBytes < opts.maxOutputBytes) err.push(d);
      errBytes += d.length;
    });
    child.on('error', (e) => {
      failure ??= new SpherecastError('SC_ERR_TRANSCODE', [opts.label, `cannot run ${bin}: ${e.message}`]);
      // Never started: no 'close' is certain to follow.
      if (child.pid === undefined) {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(failure);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8').slice(0, opts.maxOutputBytes) });
    });
  });
}
