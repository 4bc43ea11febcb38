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
  SC_ERR_NOT_FOUND: { status: 404, message: 'not found: %s' },
  SC_ERR_METHOD: { status: 405, message: 'method not allowed: %s' },
  SC_ERR_UNAUTHORIZED: { status: 401, message: 'unauthorized: %s' },
  SC_ERR_FORBIDDEN: { status: 403, message: 'forbidden: %s' },
  SC_ERR_PUBLISH_REFUSED: { status: 403, message: 'publish refused for %s: %s' },
  SC_ERR_STREAM_NAME: { status: 400, message: 'invalid stream name %s' },
  SC_ERR_STREAM_BUSY: { status: 409, message: 'stream %s already has a publisher' },
  SC_ERR_UNSUPPORTED_CODEC: { status: 415, message: 'unsupported codec in %s: %s' },
  SC_ERR_MEDIA: { status: 422, message: 'corrupt or unreadable media: %s' },
  SC_ERR_WEBHOOK: { status: 502, message: 'webhook %s failed: %s' },
  SC_ERR_STORE: { status: 502, message: 'object store %s: %s' },
  SC_ERR_STORE_VERIFY: { status: 502, message: 'upload of %s not verified: %s' },
  SC_ERR_QUEUE: { status: 502, message: 'job queue %s: %s' },
  SC_ERR_BAD_MESSAGE: { status: 400, message: 'malformed queue message: %s' },
  SC_ERR_UPSTREAM: { status: 502, message: 'upstream %s failed: %s' },
  SC_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'upstream %s timed out' },
  SC_ERR_TRANSCODE: { status: 500, message: 'transcode of %s failed: %s' },
  SC_ERR_SHUTTING_DOWN: { status: 503, message: 'shutting down' },
  SC_ERR_LAYOUT: { status: 400, message: 'invalid stream layout: %s' },
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
