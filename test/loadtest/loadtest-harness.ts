// Shared pieces for the load test tests (not a test file): the program as a real process, a run in this
// process with a request trace, server counters, and a report opened in headless Chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/shared/config/config';
import { systemClock } from '../../src/shared/clock';
import { loadtestSchema } from '../../src/loadtest/config';
import { startLoadTest } from '../../src/loadtest/load-test';
import type { FetchedEvent } from '../../src/loadtest/media-fetcher';
import type { RunReport } from '../../src/loadtest/run-report';
import { launchChromium, openPage } from '../player/browser';

type Tap = { teardown(fn: () => unknown): void };

export function tempDir(t: Tap, prefix = 'sc-loadtest-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Settings for short test runs: quick think times, no pause before segments, quiet. */
export const QUICK = { LOADTEST_THINK_DELAY: '0.2', LOADTEST_THINK_DEVIATION: '0.1', LOADTEST_SEGMENT_PAUSE: '0', LOADTEST_PROGRESS_INTERVAL: '0', LOADTEST_SEED: '1', LOG_LEVEL: 'silent' };

/** A run in this process through the same code as the program, with every request traced. */
export async function runInProcess(env: Record<string, string>): Promise<{ report: RunReport; dir: string; trace: FetchedEvent[]; summary: string }> {
  const config = loadConfig(loadtestSchema, { env: { ...QUICK, ...env } });
  const trace: FetchedEvent[] = [];
  let summary = '';
  const run = startLoadTest(config, {
    log: pino({ level: 'silent' }),
    clock: systemClock,
    progress: () => undefined,
    summary: (s) => (summary += s),
    onFetched: (e) => trace.push(e),
  });
  const { report, dir } = await run.done;
  return { report, dir, trace, summary };
}

export interface ProgramRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/loadtest.js ARGS`; resolves when it exits (killed after `timeoutMs` as a guard against hangs). */
export function runProgram(t: Tap, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ProgramRun> {
  const child = spawn(process.execPath, [resolve('dist/loadtest.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const guard = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((r) =>
    child.once('close', (code) => {
      clearTimeout(guard);
      r({ code, stdout, stderr });
    }),
  );
}

/** The origin's request counter by kind (summed over statuses) from its Prometheus /metrics. */
export async function originRequests(originUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${originUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^spherecast_origin_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const kind = /kind="([^"]+)"/.exec(m[1])![1];
    out[kind] = (out[kind] ?? 0) + Number(m[2]);
  }
  return out;
}

export async function edgeStatus(edgeUrl: string): Promise<{ requests: number; hits: number; misses: number; expired: number; stale: number; updating: number; bypass: number; upstreamRequests: number }> {
  return (await fetch(`${edgeUrl}/server-status`)).json() as any;
}

export interface DrawnChart {
  id: string;
  /** Per line: its series name, number of points and rendered length in pixels. */
  lines: Array<{ series: string; points: number; length: number }>;
  width: number;
  height: number;
}

/** Opens an HTML report file in headless Chromium and measures what each chart actually rendered. */
export async function chartsInBrowser(t: Tap, file: string): Promise<{ charts: DrawnChart[]; pageErrors: string[]; title: string }> {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const session = await openPage(browser, `file://${file}`);
  t.teardown(() => session.close());
  const charts = await session.page.evaluate(() =>
    [...document.querySelectorAll('figure.chart')].map((f) => {
      const svg = f.querySelector('svg')!;
      const box = svg.getBoundingClientRect();
      return {
        id: f.id,
        width: box.width,
        height: box.height,
        lines: [...svg.querySelectorAll('polyline')].map((p) => ({
          series: p.getAttribute('data-series') ?? '',
          points: (p as SVGPolylineElement).points.numberOfItems,
          length: (p as SVGPolylineElement).getTotalLength(),
        })),
      };
    }),
  );
  return { charts, pageErrors: session.pageErrors.map(String), title: await session.page.title() };
}
