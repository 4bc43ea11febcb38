// A target that goes away mid-run: the failures are counted by kind, the run still ends on time with its report.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMediaPlaylist } from '../../src/shared/hls-playlist';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { originRequests, runProgram, tempDir } from './loadtest-harness';
import type { RunReport } from '../../src/loadtest/run-report';

t.test('when the origin stops mid-run, errors are counted, not thrown, and the report is still written (exit 0)', async (t) => {
  const origin = await startOrigin(t, { HLS_FORMAT: 'ts', HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '4', RECORD: 'off' });
  publish(t, origin.rtmp('test'), { size: '320x180' });
  await waitFor('a live window', async () => {
    const r = await fetch(origin.url('/hls/test_1280/index.m3u8'));
    return r.ok && parseMediaPlaylist(await r.text()).segments.length >= 2 ? true : undefined;
  }, 40_000);
  const out = tempDir(t);
  const running = runProgram(t, [
    '--host', origin.url(''), '--threads', '3', '--rampup', '0.3', '--duration', '6', '--out', out,
    '--think-delay', '0.2', '--think-deviation', '0.1', '--segment-pause', '0.1', '--progress-interval', '1', '--timeout', '2',
  ]);
  // Let the viewers get going, then take the origin away as a crash would.
  await waitFor('segment requests reaching the origin', async () => ((await originRequests(origin.url(''))).segment ?? 0) > 0 || undefined, 10_000, 100);
  origin.proc.kill('SIGKILL');
  const run = await running;
  t.equal(run.code, 0, `exit code 0 with errors counted (stderr: ${run.stderr.slice(-500)})`);
  t.match(run.stderr, /errors \d+ \(total [1-9]\d*\)/, 'the progress line shows the errors');
  t.match(run.stdout, /errors by kind: .*connect \d+/);
  const report: RunReport = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  t.ok(existsSync(join(out, 'index.html')));
  t.ok(report.totals.all.errors > 0, `${report.totals.all.errors} errors`);
  t.ok((report.totals.all.errorKinds.connect ?? 0) > 0, `connection refused after the stop: ${JSON.stringify(report.totals.all.errorKinds)}`);
  t.ok((report.totals.all.statuses['200'] ?? 0) > 0, 'requests before the stop succeeded');
  t.equal(report.meta.endReason, 'duration', 'the run went on to its end');
  t.ok(report.meta.elapsedS >= 6, `ran the whole ${report.meta.elapsedS} s`);
  const sum = (k: 'errors') => report.seconds.reduce((n, s) => n + s[k], 0);
  t.equal(sum('errors'), report.totals.all.errors, 'errors per second add up to the total');
});
