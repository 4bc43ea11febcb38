// Shared by the transcoder tests: tiny generated media, ffprobe, and `node dist/transcoder.js` as a process.
import type { Test } from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export function tempDir(t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sc-tx-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((res, rej) =>
    execFile(bin, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? rej(new Error(`${bin} ${args.join(' ')}: ${stderr}`)) : res(stdout))),
  );
}

/** A testsrc clip (with a sine tone unless audio is false) encoded fast to H.264/AAC. */
export async function makeClip(path: string, o: { width: number; height: number; seconds: number; fps?: number; audio?: boolean; video?: boolean }): Promise<string> {
  const args = ['-v', 'error', '-y'];
  if (o.video !== false) args.push('-f', 'lavfi', '-i', `testsrc=size=${o.width}x${o.height}:rate=${o.fps ?? 24}`);
  if (o.audio !== false) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(o.seconds));
  if (o.video !== false) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-b:v', '1M');
  if (o.audio !== false) args.push('-c:a', 'aac', '-b:a', '96k');
  args.push(path);
  await run('ffmpeg', args);
  return path;
}

export async function ffprobe(file: string, extra: string[] = []): Promise<any> {
  return JSON.parse(await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', ...extra, '-of', 'json', file]));
}

export const SCRIPT = resolve('dist/transcoder.js');

function assertBuilt(): void {
  if (!existsSync(SCRIPT)) throw new Error('dist/transcoder.js is missing: run `npm run build` first');
}

/** Settings every test process gets: quiet defaults, no metadata polling, any free metrics port. */
/** One ffmpeg run per job unless a test asks for chunks, so results do not depend on the machine's CPU count. */
export const BASE_ENV = { LOG_LEVEL: 'info', SPOT_MONITOR: 'off', METRICS_PORT: '0', PRESET: 'ultrafast', THREADS: '1', PARALLEL_CHUNKS: '1' };

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTranscoder(args: string[], env: Record<string, string>): Promise<Finished> {
  assertBuilt();
  return new Promise((res) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...process.env, ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Resolves with the first log line (past or future) matching; rejects if the process exits first. */
  waitFor(pred: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `node dist/transcoder.js` as a worker; killed at teardown if still running. */
export function startWorkerProcess(t: Test, env: Record<string, string>): WorkerProcess {
  assertBuilt();
  const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (raw) => {
    try {
      lines.push(JSON.parse(raw));
    } catch {
      lines.push({ level: 30, msg: raw });
    }
    for (const w of waiters) w();
  });
  let exitCode: number | null | undefined;
  const exited = once(child, 'exit').then(([code]) => {
    exitCode = code as number | null;
    for (const w of waiters) w();
    return exitCode;
  });
  t.teardown(async () => {
    if (exitCode === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    lines,
    exited,
    waitFor(pred, what, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) return done(() => res(hit));
          if (exitCode !== undefined) return done(() => rej(new Error(`worker exited (${exitCode}) before: ${what}\n${stderr}`)));
        };
        const timer = setTimeout(() => done(() => rej(new Error(`timed out waiting for: ${what}\n${lines.map((l) => l.msg).join('\n')}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** Process ids of the direct children of `pid` whose command is `name` and whose arguments include `arg` (from /proc). */
export function childrenNamed(pid: number, name: string, arg?: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid || comm !== name) continue;
      if (arg && !readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) continue;
      out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether a process is still alive (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `cond` until true or the guard passes (a guard against hangs, not a timing assertion). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, guardMs = 30_000): Promise<void> {
  const end = Date.now() + guardMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A two-rung ladder for 640-wide test clips: small and fast. */
export const SMALL_LADDER = JSON.stringify([
  { width: 320, height: 180, bitrate: '200k' },
  { width: 640, height: 360, bitrate: '500k' },
  { width: 1280, height: 720, bitrate: '1M' },
  { audio: '64k' },
]);

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: import('node:http').IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A real HTTP server on 127.0.0.1 (port picked by the system) that records every request and
 * answers with `answer(n)` for the n-th one (0-based): a status, or a status and body.
 */
export async function startRecorder(
  t: Test,
  answer: (n: number, req: RecordedRequest) => number | { status: number; body: string; type?: string } = () => 204,
): Promise<{ url: string; requests: RecordedRequest[] }> {
  const { createServer } = await import('node:http');
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const a = answer(requests.length, r);
      requests.push(r);
      const { status, body, type } = typeof a === 'number' ? { status: a, body: '', type: undefined } : a;
      res.writeHead(status, type ? { 'content-type': type } : {}).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

/** Process ids whose command line contains `text` (pgrep -f), other than pgrep itself. */
export function pgrep(text: string): Promise<number[]> {
  return new Promise((res) =>
    execFile('pgrep', ['-f', text], (err, stdout) => res(err ? [] : stdout.split('\n').filter(Boolean).map(Number))),
  );
}
