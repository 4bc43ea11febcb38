import { resolve } from 'node:path';
import { systemClock } from '../shared/clock';
import { scError } from '../shared/errors';
import { runProgram } from '../shared/program';
import { loadtestSchema } from './config';
import { startLoadTest } from './load-test';
import { readRunReport, writeComparison } from './report-files';

const COMPARE_USAGE = 'node dist/loadtest.js compare A/report.json B/report.json [--out DIR]   (side-by-side report: DIR/compare.html)';

void runProgram({
  name: 'loadtest',
  summary: 'virtual HLS viewers against an origin, edge or CDN (the reference JMeter plan, or live players), with an HTML report',
  schema: loadtestSchema,
  flags: true,
  usage: [
    'node dist/loadtest.js --host URL --threads 150 --rampup 15 --duration 180 [--mode plan|player|ll] [--out DIR]',
    COMPARE_USAGE,
    'Every setting below is also a flag (shown first in its line); flags override the environment.',
    'Exit code 0 when the run finished and its report was written, even if requests failed (the report counts them).',
  ],
  shutdownTimeoutMs: (c) => c.timeout * 1000 + 10_000,
  async start(config, log, cli) {
    const [command, ...args] = cli.positionals;
    if (command === 'compare') {
      if (args.length !== 2) throw scError('SC_ERR_CONFIG', `usage: ${COMPARE_USAGE}`);
      const [a, b] = await Promise.all(args.map((p) => readRunReport(resolve(p))));
      const file = await writeComparison(resolve(config.out || '.'), a, b);
      process.stdout.write(`comparison: ${file}\n`);
      setImmediate(() => process.exit(0));
      return { close: async () => undefined };
    }
    if (command !== undefined && command !== 'run') {
      throw scError('SC_ERR_CONFIG', `unknown command "${command}" (run, compare; try --help)`);
    }
    const run = startLoadTest(config, {
      log,
      clock: systemClock,
      progress: (line) => process.stderr.write(line + '\n'),
      summary: (text) => process.stdout.write(text),
    });
    run.done.then(
      () => setImmediate(() => process.exit(0)),
      (err) => {
        log.error({ err }, `the report could not be written: ${(err as Error).message}`);
        process.stderr.write(`loadtest: the report could not be written: ${(err as Error).message}\n`);
        setImmediate(() => process.exit(1));
      },
    );
    return {
      async close(reason) {
        run.stop(reason);
        await run.done.catch(() => undefined);
      },
    };
  },
});
