/**
 * How long a job may run by the wall clock: a multiple of the source's duration, never less than
 * a floor (short sources still pay ffmpeg's start-up and the upload). A source whose duration the
 * probe cannot tell gets the floor. Pure.
 */
export interface JobTimeLimit {
  /** Seconds every job may take whatever its duration. */
  readonly minSeconds: number;
  /** Wall-clock seconds allowed per second of source. */
  readonly perSourceSecond: number;
}

export function jobTimeLimitSeconds(duration: number | undefined, limit: JobTimeLimit): number {
  const scaled = duration !== undefined && Number.isFinite(duration) && duration > 0 ? duration * limit.perSourceSecond : 0;
  return Math.max(limit.minSeconds, scaled);
}
