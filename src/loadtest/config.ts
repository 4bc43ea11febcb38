import { setting, type ConfigOf } from '../shared/config/config';
import { integer, list, oneOf, pattern, seconds, string } from '../shared/config/parsers';

/**
 * Load test settings. Each is also a command-line flag named after its key (`threads` -> `--threads`,
 * `thinkDelay` -> `--think-delay`; runProgram's `flags`), and `--help` shows both names.
 * Defaults are the reference plan's (lab.jmx): 5 threads, 30 s ramp-up, 180 s, host 127.0.0.1.
 */

/** Where the viewers go: "host", "host:port" or an http(s) base URL (a path prefix is kept). */
export const targetBase = (raw: unknown): string => {
  let s = string(raw);
  if (s === '') throw new Error('must not be empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `http://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`must be a host name, host:port or http(s) URL, got "${s}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`must be an http(s) URL, got "${s}"`);
  if (u.search || u.hash || u.username || u.password) throw new Error(`must be a plain base URL without query, fragment or credentials, got "${s}"`);
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
};

const headerLine = pattern(/^[A-Za-z0-9-]+:\s*[^\r\n]*$/, 'a header "Name: value"');

export const loadtestSchema = {
  host: setting('LOADTEST_HOST', 'http://127.0.0.1', targetBase, 'target: origin, edge load balancer or CDN (host, host:port or http(s) URL)'),
  stream: setting('LOADTEST_STREAM', 'test', pattern(/^[A-Za-z0-9_-]{1,128}$/, 'a stream name'), 'live stream name; viewers start at /hls/<stream>.m3u8'),
  masterPath: setting('LOADTEST_MASTER_PATH', '', pattern(/^(\/[^\s?#]*)?$/, 'a path starting with /'), 'master playlist path instead of /hls/<stream>.m3u8 (e.g. a VOD MANIFEST.M3U8)'),
  mode: setting('LOADTEST_MODE', 'plan' as 'plan' | 'player' | 'll', oneOf(['plan', 'player', 'll'] as const), 'plan = the reference JMeter plan (master, every variant, every segment, think time); player = live players that keep up with the live edge; ll = Low-Latency HLS players as hls.js plays: a blocking reload per part and every part downloaded'),
  threads: setting('LOADTEST_THREADS', 5, integer({ min: 1, max: 100_000 }), 'virtual viewers'),
  rampup: setting('LOADTEST_RAMPUP', 30, seconds(), 'viewers start evenly over this time'),
  duration: setting('LOADTEST_DURATION', 180, seconds({ min: 0.1 }), 'length of the run, ramp-up included'),
  out: setting('LOADTEST_OUT', '', string, 'folder for index.html and report.json (empty = ./loadtest-results/<UTC time>)'),
  label: setting('LOADTEST_LABEL', '', string, 'name of this run in reports and comparisons (empty = the host)'),
  thinkDelay: setting('LOADTEST_THINK_DELAY', 1, seconds(), 'plan mode: constant part of the Gaussian think time before each round'),
  thinkDeviation: setting('LOADTEST_THINK_DEVIATION', 3, seconds(), 'plan mode: deviation of the Gaussian think time'),
  segmentPause: setting('LOADTEST_SEGMENT_PAUSE', 8, seconds(), 'plan mode: pause before each segment request (lab.jmx has a constant 8 s timer there)'),
  liveStartSegments: setting('LOADTEST_LIVE_START_SEGMENTS', 3, integer({ min: 1, max: 100 }), 'player mode: start this many segments behind the live edge'),
  maxBuffer: setting('LOADTEST_MAX_BUFFER', 30, seconds({ min: 1 }), 'player mode: never download more than this much media ahead of the playhead'),
  timeout: setting('LOADTEST_TIMEOUT', 10, seconds({ min: 0.1 }), 'connect, response-header and body-idle timeout per request'),
  connections: setting('LOADTEST_CONNECTIONS', 0, integer({ min: 0, max: 100_000 }), 'keep-alive connections per target host (0 = one per viewer, like one browser each)'),
  headers: setting('LOADTEST_HEADERS', [] as readonly string[], list(headerLine), 'extra request headers, comma-separated "Name: value" (e.g. the edge client secret)', { secret: true }),
  progressInterval: setting('LOADTEST_PROGRESS_INTERVAL', 5, seconds(), 'a progress line on stderr this often (0 = none)'),
  seed: setting('LOADTEST_SEED', -1, integer({ min: -1 }), 'seed of the think-time random numbers, for repeatable runs (-1 = random)'),
  logLevel: setting('LOG_LEVEL', 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), 'log level'),
};

export type LoadtestConfig = ConfigOf<typeof loadtestSchema>;

export function masterUrl(c: Pick<LoadtestConfig, 'host' | 'stream' | 'masterPath'>): string {
  return `${c.host}${c.masterPath || `/hls/${c.stream}.m3u8`}`;
}

export function headerRecord(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    out[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return out;
}
