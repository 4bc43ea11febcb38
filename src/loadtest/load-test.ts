import { resolve } from 'node:path';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { headerRecord, masterUrl, type LoadtestConfig } from './config';
import { LoadRunner } from './load-runner';
import type { FetchedEvent } from './media-fetcher';
import { planViewer } from './plan-viewer';
import { playerViewer } from './player-viewer';
import { llPlayerViewer } from './ll-player-viewer';
import { Progress } from './progress';
import { writeRunReport } from './report-files';
import { buildRunReport, type RunReport } from './run-report';
import { summaryText } from './run-summary';
import { probeStreamLayout } from './stream-layout-probe';
import type { Viewer } from './viewer-context';

/** One load test from its settings: viewers, progress line, report files and the closing summary. */
export interface LoadTestDeps {
  log: Logger;
  clock: Clock;
  /** Progress lines (stderr in the program). */
  progress: (line: string) => void;
  /** The closing summary (stdout in the program). */
  summary: (text: string) => void;
  onFetched?: (e: FetchedEvent) => void;
}

export interface RunningLoadTest {
  stop(reason: string): void;
  /** The report once written (never rejects for target errors; rejects only if the report cannot be written). */
  done: Promise<{ report: RunReport; dir: string }>;
}

export function defaultOutDir(now: number): string {
  return resolve('loadtest-results', new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'));
}

export function viewerFor(c: LoadtestConfig): Viewer {
  const url = masterUrl(c);
  if (c.mode === 'll') return llPlayerViewer({ masterUrl: url, retryMs: 2000 });
  return c.mode === 'player'
    ? playerViewer({ masterUrl: url, liveStartSegments: c.liveStartSegments, maxBufferAheadS: c.maxBuffer, retryMs: 2000 })
    : planViewer({ masterUrl: url, thinkDelayMs: c.thinkDelay * 1000, thinkDeviationMs: c.thinkDeviation * 1000, segmentPauseMs: c.segmentPause * 1000 });
}

export function startLoadTest(c: LoadtestConfig, deps: LoadTestDeps): RunningLoadTest {
  const log = deps.log.child({ component: 'loadtest' });
  const runner = new LoadRunner({
    threads: c.threads,
    rampupMs: c.rampup * 1000,
    durationMs: c.duration * 1000,
    viewer: viewerFor(c),
    clock: deps.clock,
    connections: c.connections || c.threads,
    timeoutMs: c.timeout * 1000,
    headers: headerRecord(c.headers),
    ...(c.seed >= 0 ? { seed: c.seed } : {}),
    onFetched: deps.onFetched,
    onViewerError: (viewer, err) => log.error({ viewer, err }, 'viewer failed'),
  });
  const progress = new Progress({
    results: () => runner.results,
    viewers: () => runner.activeViewers,
    threads: c.threads,
    durationS: c.duration,
    intervalMs: c.progressInterval * 1000,
    clock: deps.clock,
    showStalls: c.mode !== 'plan',
    write: deps.progress,
  });
  log.info({ target: masterUrl(c), mode: c.mode, threads: c.threads, rampupS: c.rampup, durationS: c.duration }, 'load test starting');
  const done = (async () => {
    const layout = await probeStreamLayout(masterUrl(c), headerRecord(c.headers), c.timeout * 1000);
    if (c.progressInterval > 0) progress.start();
    const outcome = await runner.run();
    progress.stop();
    const report = buildRunReport(outcome.results, {
      label: c.label || c.host,
      target: c.host,
      masterUrl: masterUrl(c),
      mode: c.mode,
      threads: c.threads,
      rampupS: c.rampup,
      durationS: c.duration,
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
      endReason: outcome.reason,
      ...(layout ? { layout } : {}),
    });
    const dir = c.out ? resolve(c.out) : defaultOutDir(outcome.startedAt);
    const files = await writeRunReport(dir, report);
    log.info({ dir, requests: report.totals.all.requests, errors: report.totals.all.errors }, 'report written');
    deps.summary(summaryText(report, files));
    return { report, dir };
  })();
  return { stop: (reason) => runner.stop(reason), done };
}
