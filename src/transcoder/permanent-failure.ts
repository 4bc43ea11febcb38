import { isScError, type ErrorCode } from '../shared/errors';

/**
 * Failures no retry can fix, because they come from the source itself: unreadable or empty media,
 * a refused container, a source over the size limits, a job over its time limit. Their message is
 * dead-lettered at once rather than downloaded and tried again MAX_RECEIVE_COUNT times. Anything
 * else (the store or queue unreachable, ffmpeg killed, a full disk) may pass and is retried. Pure.
 */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SC_ERR_MEDIA', 'SC_ERR_MEDIA_REFUSED', 'SC_ERR_TIME_LIMIT']);

export function isPermanentFailure(err: unknown): boolean {
  return isScError(err) && PERMANENT.has(err.code);
}
