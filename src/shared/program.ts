import { isScError } from './errors';
import { helpText, loadConfig, parseCommandLine, type CommandLine, type ConfigOf, type Schema } from './config/config';
import { createLogger, type Logger } from './logger';

/**
 * The skeleton every `main.ts` shares: `--help`, config loading, start-up failures as one clear
 * line and exit code 1, and graceful SIGTERM/SIGINT (a second signal forces the exit).
 */
export interface Running {
  /** Stops accepting work, finishes or hands back what is in flight, releases everything. */
  close(reason: string): Promise<void>;
}

export interface ProgramSpec<S extends Schema> {
  name: string;
  summary: string;
  schema: S;
  usage?: string[];
  /** Every setting is also a command-line flag named after its key (`--think-delay 2`). */
  flags?: boolean;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: (config: ConfigOf<S>) => number;
  start(config: ConfigOf<S>, log: Logger, cli: CommandLine): Promise<Running>;
}

/** Signals this close to the first are the same stop request delivered twice. */
const DUPLICATE_SIGNAL_MS = 1000;

export async function runProgram<S extends Schema & { logLevel: any }>(spec: ProgramSpec<S>): Promise<void> {
  let cli: CommandLine;
  let config: ConfigOf<S>;
  try {
    cli = parseCommandLine(process.argv.slice(2), spec.flags ? spec.schema : undefined);
    if (cli.help) {
      process.stdout.write(helpText(spec.name, spec.summary, spec.schema, spec.usage, spec.flags));
      return;
    }
    config = loadConfig(spec.schema, { configFile: cli.configFile, flags: cli.flags });
  } catch (err) {
    process.stderr.write(`${spec.name}: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const log = createLogger({ name: spec.name, level: String(config.logLevel) });
  let running: Running;
  try {
    running = await spec.start(config, log, cli);
  } catch (err) {
    const code = isScError(err) ? err.code : 'SC_ERR_START';
    log.fatal({ code, err }, `start-up failed: ${(err as Error).message}`);
    process.stderr.write(`${spec.name}: start-up failed: ${(err as Error).message}\n`);
    // pino writes asynchronously to stdout; give it a tick before exiting.
    setImmediate(() => process.exit(1));
    return;
  }

  let closingSince = -1;
  const stop = (signal: string) => {
    if (closingSince >= 0) {
      // One stop often arrives twice at once: a terminal signals the whole process group and a
      // supervisor (npm start, systemd) forwards it too. Only a later signal means "force".
      if (Date.now() - closingSince < DUPLICATE_SIGNAL_MS) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closingSince = Date.now();
    log.info({ signal }, 'shutting down');
    const deadline = spec.shutdownTimeoutMs?.(config) ?? 30_000;
    const timer = setTimeout(() => {
      log.error({ deadlineMs: deadline }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, deadline);
    timer.unref();
    running.close(signal).then(
      () => {
        log.info('stopped');
        setImmediate(() => process.exit(0));
      },
      (err) => {
        log.error({ err }, 'error while shutting down');
        setImmediate(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}
