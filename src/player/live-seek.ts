// Pure: the seek bar of a live stream with a DVR window. hls.js exposes the playlist's window as
// the video's seekable range; a window much longer than a plain live playlist gets a seek bar, and
// a viewer far enough behind its end is "behind live" (the LIVE button then jumps back).

/** Below this many seconds the window is a plain live playlist (HLS_PLAYLIST_LENGTH is 20 s by default): no seek bar. */
export const DVR_MIN_SECONDS = 30;
/** Further behind the window's end than this, the viewer is not watching live. */
export const BEHIND_LIVE_SECONDS = 10;

export interface SeekWindow {
  readonly start: number;
  readonly end: number;
}

/** The DVR window from the video's seekable ranges (first start to last end), or undefined when short. */
export function dvrWindow(ranges: ReadonlyArray<readonly [number, number]>): SeekWindow | undefined {
  if (!ranges.length) return undefined;
  const start = ranges[0]![0];
  const end = ranges[ranges.length - 1]![1];
  return Number.isFinite(start) && Number.isFinite(end) && end - start >= DVR_MIN_SECONDS ? { start, end } : undefined;
}

export function behindLive(currentTime: number, window: SeekWindow | undefined): boolean {
  return !!window && window.end - currentTime > BEHIND_LIVE_SECONDS;
}
