import { availableParallelism, hostname } from 'node:os';
import { setting, type ConfigOf } from '../shared/config/config';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { scError } from '../shared/errors';
import type { CachePolicy } from './cache-policy';
import { OriginPool, type UpstreamOutcome } from './origin-pool';
import { playbackSettings } from '../shared/playback/playback-settings';
import { HeldRequests } from './held-requests';
import { integer, list, oneOf, optionalHttpUrl, pattern, port, seconds, size, string } from '../shared/config/parsers';

/** An origin base URL: http(s), no query or fragment; a path prefix is allowed. */
const originUrl = (raw: unknown): string => {
  const s = optionalHttpUrl(raw);
  if (s === '') throw new Error('must not be empty');
  const u = new URL(s);
  if (u.search || u.hash || u.username || u.password) throw new Error(`must be a plain base URL without query, fragment or credentials, got "${s}"`);
  return s.replace(/\/+$/, '');
};

/** "auto" (one per core, like nginx's worker_processes auto) or a count. */
const workerCount = (raw: unknown): number => {
  if (String(raw).trim() === 'auto') return availableParallelism();
  return integer({ min: 1, max: 256 })(raw);
};

const headerName = pattern(/^[A-Za-z0-9-]*$/, 'an HTTP header name (letters, digits, dashes)');

export const edgeSchema = {
  host: setting('HOST', '0.0.0.0', string, 'listen address (the edge sits behind a load balancer; use 127.0.0.1 to keep it local)'),
  httpPort: setting('HTTP_PORT', 8081, port, 'HTTP listen port (0 picks a free port)'),
  workers: setting('WORKERS', 1, workerCount, 'HTTP worker processes ("auto" = one per core); with more than one, a primary process keeps the origin connections and a shared cache tier, so the origin still sees one request per object per TTL (memory: up to WORKERS + 1 times CACHE_MAX_BYTES)'),
  origins: setting('ORIGINS', ['http://127.0.0.1:8080'] as readonly string[], list(originUrl), 'origin base URLs, comma-separated; the first is primary, the rest backups'),
  cacheMaxBytes: setting('CACHE_MAX_BYTES', '512M', size({ min: 1024 }), 'bound of the in-memory cache in bytes (least recently used objects are evicted)'),
  maxObjectBytes: setting('MAX_OBJECT_BYTES', '64M', size({ min: 1024 }), 'largest upstream object the edge accepts; bigger ones get 502'),
  playlistTtl: setting('PLAYLIST_TTL', 3, seconds(), 'cache time of playlists (.m3u8, .mpd) when the origin sends no max-age'),
  playlistTtlMax: setting('PLAYLIST_TTL_MAX', 10, seconds(), 'cap on the cache time of playlists, whatever the origin says'),
  segmentTtl: setting('SEGMENT_TTL', 900, seconds(), 'cache time of segments and other media when the origin sends no max-age'),
  segmentTtlMax: setting('SEGMENT_TTL_MAX', 86400, seconds(), 'cap on the cache time of segments'),
  otherTtl: setting('OTHER_TTL', 3, seconds(), 'cache time of anything that is neither playlist nor media, without origin max-age'),
  errorTtl: setting('ERROR_TTL', 2, seconds(), 'cache time of 404/410 answers for segments (playlists never cache errors; 0 = never)'),
  staleIfError: setting('STALE_IF_ERROR', 600, seconds(), 'how long past expiry a segment may be served STALE when every origin fails (0 = off)'),
  staleWhileRevalidate: setting('STALE_WHILE_REVALIDATE', 0, seconds(), 'serve an expired segment as UPDATING for this long while it is refreshed in the background (playlists: at most 1 s)'),
  upstreamConnectTimeout: setting('UPSTREAM_CONNECT_TIMEOUT', 2, seconds({ min: 0.001 }), 'connect timeout per origin (then the next origin is tried)'),
  upstreamTimeout: setting('UPSTREAM_TIMEOUT', 10, seconds({ min: 0.001 }), 'response header and body-idle timeout per origin'),
  upstreamHoldMax: setting('UPSTREAM_HOLD_MAX', 30, seconds({ min: 0.001 }), 'longest an origin may hold an LL-HLS blocking playlist reload or hinted part: such a request waits three target durations of its playlist (this while the playlist is not known yet), at most this, plus UPSTREAM_TIMEOUT'),
  upstreamConnections: setting('UPSTREAM_CONNECTIONS', 32, integer({ min: 1, max: 1024 }), 'keep-alive connections per origin'),
  failTimeout: setting('FAIL_TIMEOUT', 10, seconds(), 'how long an origin that answered 502/503/504 is passed over while another origin is usable (an origin that does not answer at all is down until a health probe succeeds)'),
  healthPath: setting('HEALTH_PATH', '/healthz', pattern(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/, 'an absolute path (appended to each origin URL)'), 'path probed on each origin to tell whether it answers; any answer below 500 counts, a timeout, a refused connection or a 5xx marks it down'),
  healthInterval: setting('HEALTH_INTERVAL', 2, seconds(), 'how often an origin that is up is probed, so a hung one is found before requests time out (0 = only after a failure)'),
  healthTimeout: setting('HEALTH_TIMEOUT', 1, seconds({ min: 0.001 }), 'a health probe not answered within this fails'),
  healthBackoffMax: setting('HEALTH_BACKOFF_MAX', 2, seconds({ min: 0.001 }), 'a down origin is probed again (one probe at a time) after a backoff from 0.25 s doubling up to this; while every origin is down, requests are answered at once (stale copies, or 503)'),
  clientSecretHeader: setting('CLIENT_SECRET_HEADER', 'x-origin-verify', headerName, 'header the client tier (CloudFront) must send'),
  clientSecret: setting('CLIENT_SECRET', '', string, 'when set, proxied and player requests without CLIENT_SECRET_HEADER equal to it get 403', { secret: true }),
  originSecretHeader: setting('ORIGIN_SECRET_HEADER', 'x-origin-verify', headerName, 'header sent to the origins'),
  originSecret: setting('ORIGIN_SECRET', '', string, 'when set, sent to the origins in ORIGIN_SECRET_HEADER', { secret: true }),
  ...playbackSettings,
  tlsCert: setting('TLS_CERT', '', string, 'PEM certificate (chain) file; with TLS_KEY the edge terminates TLS itself and speaks HTTP/2 and HTTP/1.1 (ALPN), as LL-HLS clients need; empty = plain HTTP/1.1 (behind a load balancer or CDN that terminates TLS)'),
  tlsKey: setting('TLS_KEY', '', string, 'PEM private key file of TLS_CERT'),
  publicDir: setting('PUBLIC_DIR', 'public', string, 'folder served at / (the player); files are listed at start-up; "none" = no player'),
  edgeId: setting('EDGE_ID', hostname(), string, 'value of X-Media-Handled-By'),
  maxHeaderBytes: setting('MAX_HEADER_BYTES', '16K', size({ min: 1024 }), 'largest request head (request line and headers) accepted'),
  requestTimeout: setting('REQUEST_TIMEOUT', 30, seconds({ min: 0.1 }), 'a client must send its whole request within this'),
  headersTimeout: setting('HEADERS_TIMEOUT', 10, seconds({ min: 0.1 }), 'a client must send its request head within this'),
  keepAliveTimeout: setting('KEEP_ALIVE_TIMEOUT', 65, seconds({ min: 0.1 }), 'idle keep-alive connections are closed after this'),
  drainDelay: setting('DRAIN_DELAY', 5, seconds(), 'on SIGTERM, /healthz fails this long before the edge stops accepting connections'),
  drainTimeout: setting('DRAIN_TIMEOUT', 30, seconds({ min: 0.1 }), 'longest wait for in-flight requests when shutting down'),
  spotMonitor: setting('SPOT_MONITOR', 'auto', oneOf(['auto', 'on', 'off'] as const), 'poll EC2 instance metadata for a Spot interruption notice and drain (auto = only on EC2)'),
  imdsUrl: setting('IMDS_URL', 'http://169.254.169.254', originUrl, 'instance metadata base URL (IMDSv2)'),
  spotPollInterval: setting('SPOT_POLL_INTERVAL', 5, seconds({ min: 0.05 }), 'how often the Spot interruption notice is polled'),
  logLevel: setting('LOG_LEVEL', 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), 'log level'),
};

export type EdgeConfig = ConfigOf<typeof edgeSchema>;

export function cachePolicyOf(config: EdgeConfig): CachePolicy {
  return {
    playlistTtlMs: config.playlistTtl * 1000,
    playlistTtlMaxMs: config.playlistTtlMax * 1000,
    segmentTtlMs: config.segmentTtl * 1000,
    segmentTtlMaxMs: config.segmentTtlMax * 1000,
    otherTtlMs: config.otherTtl * 1000,
    errorTtlMs: config.errorTtl * 1000,
    staleIfErrorMs: config.staleIfError * 1000,
    staleWhileRevalidateMs: config.staleWhileRevalidate * 1000,
  };
}

/** The TLS files, or null for plain HTTP; one without the other is a configuration error. */
export function tlsFilesOf(config: EdgeConfig): { cert: string; key: string } | null {
  if (config.tlsCert === '' && config.tlsKey === '') return null;
  if (config.tlsCert === '' || config.tlsKey === '') throw scError('SC_ERR_CONFIG', 'TLS_CERT and TLS_KEY go together: set both or neither');
  return { cert: config.tlsCert, key: config.tlsKey };
}

/** First retry of a down origin's health probe; later ones double up to HEALTH_BACKOFF_MAX. */
const HEALTH_BACKOFF_BASE_MS = 250;

/** The origin pool the config describes; `onAttempt` feeds the upstream metrics. */
export function originPoolOf(config: EdgeConfig, clock: Clock, log: Logger, onAttempt: (origin: string, outcome: UpstreamOutcome) => void): OriginPool {
  return new OriginPool({
    origins: config.origins,
    connectTimeoutMs: config.upstreamConnectTimeout * 1000,
    timeoutMs: config.upstreamTimeout * 1000,
    failTimeoutMs: config.failTimeout * 1000,
    health: {
      path: config.healthPath,
      intervalMs: config.healthInterval * 1000,
      timeoutMs: config.healthTimeout * 1000,
      backoffBaseMs: HEALTH_BACKOFF_BASE_MS,
      backoffMaxMs: config.healthBackoffMax * 1000,
    },
    connections: config.upstreamConnections,
    maxObjectBytes: config.maxObjectBytes,
    headers: config.originSecret ? { [config.originSecretHeader.toLowerCase()]: config.originSecret } : {},
    clock,
    log,
    onAttempt,
  });
}

/** Which upstream requests an LL-HLS origin may hold, and the timeouts they get. */
export function heldRequestsOf(config: EdgeConfig): HeldRequests {
  return new HeldRequests({ baseTimeoutMs: config.upstreamTimeout * 1000, maxHoldMs: config.upstreamHoldMax * 1000 });
}
