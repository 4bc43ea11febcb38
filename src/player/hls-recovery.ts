// What to do about a playback error. Pure: the controller feeds it hls.js (or native) errors and carries out the
// action, so the policy is tested without a browser. Error type/detail strings are hls.js' own values.

export interface PlaybackError {
  /** hls.js ErrorTypes value: 'networkError', 'mediaError', 'muxError', 'keySystemError', 'otherError'. */
  type: string;
  /** hls.js ErrorDetails value, e.g. 'manifestLoadError', 'fragLoadError', 'bufferStalledError'. */
  details: string;
  fatal: boolean;
  /** HTTP status of the failed request; 0 when the request never got an answer (connection refused, CORS, offline). */
  httpStatus?: number;
}

export interface RecoveryState {
  /** The link says this is a live stream (?live=1) or a loaded playlist said so. */
  live: boolean;
  /** Media has played since the last (re)load: a failure now is an interruption, not a bad link. */
  hasPlayed: boolean;
  /** Network retries since playback last made progress. */
  networkRetries: number;
  /** recoverMediaError() calls since playback last made progress. */
  mediaRecoveries: number;
}

export type MessageKind = 'waiting' | 'retrying' | 'error';

export interface UserMessage {
  kind: MessageKind;
  title: string;
  detail: string;
}

export type RecoveryAction =
  | { kind: 'ignore' }
  | { kind: 'recover-media'; swapAudioCodec: boolean; message?: UserMessage }
  /** hls.startLoad(): fragment or level loading failed, the manifest is fine. */
  | { kind: 'restart-load'; delayMs: number; message: UserMessage }
  /** Load the playlist again from scratch (hls.loadSource or a new native src). */
  | { kind: 'reload'; delayMs: number; message: UserMessage }
  | { kind: 'fail'; message: UserMessage };

/** Network retries for a VOD (or unknown) stream before giving up; live streams retry for as long as the page is open. */
export const MAX_NETWORK_RETRIES = 5;
/** recoverMediaError, then swapAudioCodec + recoverMediaError, then give up. */
export const MAX_MEDIA_RECOVERIES = 2;

/** Exponential backoff: 1 s, 2 s, 4 s, ... capped (live streams poll more often so they start soon after going live). */
export function retryDelayMs(attempt: number, capMs = 8000): number {
  const n = Math.max(0, Math.floor(attempt));
  return Math.min(capMs, 1000 * 2 ** Math.min(n, 16));
}

const MANIFEST_DETAILS = new Set(['manifestLoadError', 'manifestLoadTimeOut']);
const NOT_FOUND = new Set([404, 410]);

function describeStatus(status: number | undefined): string {
  if (status === undefined || status === 0) return 'the server could not be reached';
  return `the server answered HTTP ${status}`;
}

export function decideRecovery(error: PlaybackError, state: RecoveryState): RecoveryAction {
  if (!error.fatal) return { kind: 'ignore' };

  if (error.type === 'mediaError' || error.type === 'muxError') {
    if (state.mediaRecoveries < MAX_MEDIA_RECOVERIES) {
      return { kind: 'recover-media', swapAudioCodec: state.mediaRecoveries > 0 };
    }
    return {
      kind: 'fail',
      message: {
        kind: 'error',
        title: 'This video cannot be decoded',
        detail: `The browser could not decode the stream (${error.details}). It may use a codec this browser does not support.`,
      },
    };
  }

  if (error.type === 'networkError') {
    if (error.details === 'manifestParsingError') return notHls();
    const status = error.httpStatus;
    const manifest = MANIFEST_DETAILS.has(error.details);

    if (manifest && !state.hasPlayed) {
      if (state.live) {
        const cap = 4000;
        if (status !== undefined && NOT_FOUND.has(status)) {
          return {
            kind: 'reload',
            delayMs: retryDelayMs(state.networkRetries, cap),
            message: {
              kind: 'waiting',
              title: 'Waiting for the stream to start…',
              detail: 'The live stream is not on air yet. This page checks again every few seconds and starts playing as soon as it begins.',
            },
          };
        }
        return {
          kind: 'reload',
          delayMs: retryDelayMs(state.networkRetries, cap),
          message: { kind: 'retrying', title: 'Cannot reach the stream, retrying…', detail: `Loading the playlist failed: ${describeStatus(status)}.` },
        };
      }
      if (status !== undefined && NOT_FOUND.has(status)) {
        return {
          kind: 'fail',
          message: {
            kind: 'error',
            title: 'Stream not found',
            detail: `The playlist does not exist (HTTP ${status}). Check the link; if this is a live stream that has not started yet, open it with &live=1 to wait for it.`,
          },
        };
      }
      if (status !== undefined && status >= 400 && status < 500) {
        return {
          kind: 'fail',
          message: { kind: 'error', title: 'Stream not available', detail: `The playlist could not be loaded: ${describeStatus(status)}.` },
        };
      }
      return networkRetry('reload', state, status);
    }

    if (manifest) return networkRetry('reload', state, status);
    if (error.details === 'levelEmptyError' && state.live) return networkRetry('reload', state, status);
    return networkRetry(state.live ? 'reload' : 'restart-load', state, status);
  }

  return {
    kind: 'fail',
    message: { kind: 'error', title: 'Playback failed', detail: `The player stopped with an error (${error.type}: ${error.details}).` },
  };
}

function notHls(): RecoveryAction {
  return {
    kind: 'fail',
    message: { kind: 'error', title: 'Not an HLS playlist', detail: 'The address does not return an HLS playlist (.m3u8). Check the link.' },
  };
}

function networkRetry(kind: 'reload' | 'restart-load', state: RecoveryState, status: number | undefined): RecoveryAction {
  if (!state.live && state.networkRetries >= MAX_NETWORK_RETRIES) {
    return {
      kind: 'fail',
      message: {
        kind: 'error',
        title: 'Network error',
        detail: `The stream could not be loaded after ${MAX_NETWORK_RETRIES} retries: ${describeStatus(status)}. Check your connection and try again.`,
      },
    };
  }
  const interrupted = state.hasPlayed;
  return {
    kind,
    delayMs: retryDelayMs(state.networkRetries, state.live ? 4000 : 8000),
    message: {
      kind: 'retrying',
      title: interrupted && state.live ? 'The stream was interrupted, reconnecting…' : 'Network error, retrying…',
      detail: `Loading failed: ${describeStatus(status)}. Attempt ${state.networkRetries + 1}${state.live ? '' : ` of ${MAX_NETWORK_RETRIES}`}.`,
    },
  };
}
