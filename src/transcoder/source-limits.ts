/**
 * How large a source the transcoder accepts, checked from the probe before anything decodes it:
 * a few hundred KB of MP4 can declare 16000x16000 frames, and decoding those takes gigabytes. Pure.
 */
export interface SourceLimits {
  readonly maxWidth: number;
  readonly maxHeight: number;
  /** Pixels per second (width x height x frames per second). */
  readonly maxPixelRate: number;
}

/** 8K at 60 frames per second. */
export const DEFAULT_MAX_PIXEL_RATE = 7680 * 4320 * 60;

/** Why the source is over a limit, or undefined when it is within all of them. */
export function sourceLimitViolation(video: { width: number; height: number; fps: number }, limits: SourceLimits): string | undefined {
  if (video.width > limits.maxWidth) return `width ${video.width} is over MAX_SOURCE_WIDTH ${limits.maxWidth}`;
  if (video.height > limits.maxHeight) return `height ${video.height} is over MAX_SOURCE_HEIGHT ${limits.maxHeight}`;
  const rate = video.width * video.height * video.fps;
  if (rate > limits.maxPixelRate) {
    return `${video.width}x${video.height} at ${Math.round(video.fps * 1000) / 1000} fps is ${Math.round(rate)} pixels/s, over MAX_SOURCE_PIXEL_RATE ${limits.maxPixelRate}`;
  }
  return undefined;
}

/** The largest frame any decoder may allocate (ffmpeg's -max_pixels): the width cap times the height cap. */
export function maxPixelsOf(limits: SourceLimits): number {
  return limits.maxWidth * limits.maxHeight;
}
