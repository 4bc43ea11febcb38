import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  name: string;
}

/** One JSON logger per process; components take `logger.child({ component })`. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino({
    name: opts.name,
    level: opts.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
