/**
 * The one error registry. Every error spherecast raises on purpose carries a stable `code`
 * (`SC_ERR_*`) that callers match on, a message template and the HTTP status it maps to.
 * Add new codes here; never match on message text.
 */
const REGISTRY = {
  SC_ERR_CONFIG: { status: 500, message: 'invalid configuration: %s' },
  SC_ERR_FFMPEG_MISSING: { status: 500, message: '%s' },
  SC_ERR_LISTEN: { status: 500, message: 'cannot listen on %s: %s' },
  SC_ERR_BAD_PATH: { status: 400, message: 'bad path: %s' },
  SC_ERR_BAD_REQUEST: { status: 400, message: 'bad request: %s' },
  SC_ERR_NOT_FOUND: { status: 404, message: 'not found: %s' },
  SC_ERR_METHOD: { status: 405, message: 'method not allowed: %s' },
  SC_ERR_UNAUTHORIZED: { status: 401, message: 'unauthorized: %s' },
  SC_ERR_FORBIDDEN: { status: 403, message: 'forbidden: %s' },
  SC_ERR_PUBLISH_REFUSED: { status: 403, message: 'publish refused for %s: %s' },
  SC_ERR_STREAM_NAME: { status: 400, message: 'invalid stream name %s' },
  SC_ERR_STREAM_BUSY: { status: 409, message: 'stream %s already has a publisher' },
  SC_ERR_UNSUPPORTED_CODEC: { status: 415, message: 'unsupported codec in %s: %s' },
  SC_ERR_MEDIA: { status: 422, message: 'corrupt or unreadable media: %s' },
  SC_ERR_CODEC_CONFIG: { status: 422, message: 'invalid codec configuration: %s' },
  SC_ERR_RTMP_PROTOCOL: { status: 400, message: 'RTMP protocol violation: %s' },
  SC_ERR_RTMP_LIMIT: { status: 429, message: 'RTMP limit exceeded: %s' },
  SC_ERR_INGEST_RATE: { status: 429, message: 'publisher too fast: %s' },
  SC_ERR_MEDIA_REFUSED: { status: 422, message: 'source %s refused: %s' },
  SC_ERR_TIME_LIMIT: { status: 504, message: '%s exceeded its time limit of %s s' },
  SC_ERR_KEYFRAME_INTERVAL: { status: 422, message: 'keyframes of %s are %s s apart, more than HLS_FRAGMENT (%s s), so its segments are that long and players wait longer: set the encoder keyframe interval to %s s (OBS: Settings > Output > Keyframe Interval)' },
  SC_ERR_INSTANT_VOD_SIZE: { status: 507, message: 'instant VOD of %s reached INSTANT_VOD_MAX_SIZE (%s bytes): its oldest segments are dropped from now on' },
  SC_ERR_HLS_DIRECTIVE: { status: 400, message: 'LL-HLS request refused: %s' },
  SC_ERR_HLS_NOT_READY: { status: 503, message: 'LL-HLS request not satisfied in time: %s' },
  SC_ERR_WEBHOOK: { status: 502, message: 'webhook %s failed: %s' },
  SC_ERR_NOTIFY: { status: 502, message: 'completion notice to %s failed: %s' },
  SC_ERR_STORE: { status: 502, message: 'object store %s: %s' },
  SC_ERR_STORE_VERIFY: { status: 502, message: 'upload of %s not verified: %s' },
  SC_ERR_QUEUE: { status: 502, message: 'job queue %s: %s' },
  SC_ERR_BAD_MESSAGE: { status: 400, message: 'malformed queue message: %s' },
  SC_ERR_UPSTREAM: { status: 502, message: 'upstream %s failed: %s' },
  SC_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'upstream %s timed out' },
  SC_ERR_NOT_ACCEPTABLE: { status: 406, message: 'the object is stored %s-coded and the request does not accept that coding (Accept-Encoding)' },
  SC_ERR_ORIGINS_DOWN: { status: 503, message: 'no origin is answering; retry shortly' },
  SC_ERR_THUMBNAIL: { status: 500, message: 'thumbnail of %s failed: %s' },
  SC_ERR_TRANSCODE: { status: 500, message: 'transcode of %s failed: %s' },
  SC_ERR_SHUTTING_DOWN: { status: 503, message: 'shutting down' },
  SC_ERR_LAYOUT: { status: 400, message: 'invalid stream layout: %s' },
  SC_ERR_VIEWPORT_LISTING: { status: 422, message: 'invalid viewport listing: %s' },
  SC_ERR_PLAYBACK_TOKEN_MISSING: { status: 403, message: 'playback token required for %s (/t/<token>/... or ?token=)' },
  SC_ERR_PLAYBACK_TOKEN_INVALID: { status: 403, message: 'playback token refused: %s' },
  SC_ERR_PLAYBACK_TOKEN_EXPIRED: { status: 403, message: 'playback token %s' },
  SC_ERR_PLAYBACK_TOKEN_PATH: { status: 403, message: 'playback token for %s does not cover %s' },
  SC_ERR_LIVE_LADDER: { status: 500, message: 'live ladder of %s: %s' },
} as const;

export type ErrorCode = keyof typeof REGISTRY;

export class SpherecastError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, args: readonly unknown[] = [], options?: { cause?: unknown }) {
    let i = 0;
    const message = REGISTRY[code].message.replace(/%s/g, () => String(args[i++] ?? ''));
    super(message, options);
    this.name = 'SpherecastError';
    this.code = code;
    this.statusCode = REGISTRY[code].status;
  }
}

/** Builds a registry error: `scError('SC_ERR_CONFIG', 'HTTP_PORT must be ...')`. */
export function scError(code: ErrorCode, ...args: unknown[]): SpherecastError {
  return new SpherecastError(code, args);
}

export function isScError(err: unknown, code?: ErrorCode): err is SpherecastError {
  return err instanceof SpherecastError && (code === undefined || err.code === code);
}

export function httpStatusOf(code: ErrorCode): number {
  return REGISTRY[code].status;
}
