// Shared pieces for the origin tests (not a test file): the origin as a real process, a real
// ffmpeg publisher, free ports and polling.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

type Tap = { teardown(fn: () => unknown): void };

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

export interface Origin {
  rtmpPort: number;
  httpPort: number;
  mediaDir: string;
  proc: ChildProcess;
  log: () => string;
  url(path: string): string;
  rtmp(name: string): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startOrigin(t: Tap, env: Record<string, string> = {}): Promise<Origin> {
  const mediaDir = mkdtempSync(join(tmpdir(), 'sc-origin-'));
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  let out = '';
  const proc = spawn(process.execPath, [resolve('dist/origin.js')], {
    env: { ...process.env, HOST: '127.0.0.1', RTMP_PORT: String(rtmpPort), HTTP_PORT: String(httpPort), MEDIA_DIR: mediaDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const origin: Origin = {
    rtmpPort,
    httpPort,
    mediaDir,
    proc,
    log: () => out,
    url: (p) => `http://127.0.0.1:${httpPort}${p}`,
    rtmp: (name) => `rtmp://127.0.0.1:${rtmpPort}/live/${name}`,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    rmSync(mediaDir, { recursive: true, force: true });
  });
  await waitFor('origin /healthz', async () => (await fetch(origin.url('/healthz'))).ok || undefined, 45_000);
  return origin;
}

export interface Publisher {
  proc: ChildProcess;
  /** Ends the publish the way a user stopping ffmpeg does (q on stdin is not available: SIGINT). */
  stop(): Promise<void>;
}

/** The reference test pattern (1280x720 testsrc + sine, H.264 + AAC), with a 1 s GOP. */
export function publish(t: Tap, url: string, opts: { seconds?: number; size?: string; gop?: number } = {}): Publisher {
  const args = [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'aevalsrc=sin(400*2*PI*t)',
    '-f', 'lavfi', '-i', `testsrc=size=${opts.size ?? '1280x720'}:rate=30`,
    '-vcodec', 'libx264', '-preset', 'ultrafast', '-g', String(opts.gop ?? 30), '-b:v', '500k',
    '-c:a', 'aac', '-b:a', '160k', '-vf', 'format=yuv420p',
    ...(opts.seconds ? ['-t', String(opts.seconds)] : []),
    '-f', 'flv', url,
  ];
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const pub: Publisher = {
    proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
      await exited;
    },
  };
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  return pub;
}

export function ffprobeJson(path: string): any {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { encoding: 'utf8' }));
}

/** ffmpeg processes that are children of `pid`. */
export function ffmpegChildren(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), 'ffmpeg'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
