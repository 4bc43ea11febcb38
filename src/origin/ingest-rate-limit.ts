/**
 * Pure: whether a publisher sends faster than live. Two checks, each with a burst allowance for
 * what an encoder buffered during a network hiccup:
 * - media time: the stream's timestamps may advance at most `maxSpeed` times as fast as the wall
 *   clock (a file pushed without `-re` advances hundreds of times faster);
 * - bytes: a token bucket of `maxBytesPerSecond`, so frames with stalled timestamps cannot be
 *   used to write at line rate either.
 */
export interface IngestRateOptions {
  /** Media seconds per wall-clock second. */
  readonly maxSpeed: number;
  readonly maxBytesPerSecond: number;
  /** How far ahead of either budget a publisher may get, in seconds. */
  readonly burstSeconds: number;
}

export class IngestRateLimit {
  private firstWall = -1;
  private firstMedia = 0;
  private maxMedia = 0;
  private tokens: number;
  private lastWall = 0;

  constructor(private readonly opts: IngestRateOptions) {
    this.tokens = opts.maxBytesPerSecond * opts.burstSeconds;
  }

  /** Records one media message; returns why the publisher is too fast, or undefined. */
  observe(mediaMs: number, wallMs: number, bytes: number): string | undefined {
    if (this.firstWall < 0) {
      this.firstWall = wallMs;
      this.lastWall = wallMs;
      this.firstMedia = mediaMs;
      this.maxMedia = mediaMs;
    }
    const o = this.opts;
    const burstMs = o.burstSeconds * 1000;
    // Timestamps may step back (B-frames, audio/video interleave); only the furthest counts.
    this.maxMedia = Math.max(this.maxMedia, mediaMs);
    const mediaElapsed = this.maxMedia - this.firstMedia;
    const wallElapsed = wallMs - this.firstWall;
    if (mediaElapsed > o.maxSpeed * wallElapsed + burstMs) {
      return `${(mediaElapsed / 1000).toFixed(1)} s of media in ${(wallElapsed / 1000).toFixed(1)} s (more than ${o.maxSpeed}x real time; publish live, e.g. ffmpeg -re)`;
    }
    const cap = o.maxBytesPerSecond * o.burstSeconds;
    this.tokens = Math.min(cap, this.tokens + ((wallMs - this.lastWall) / 1000) * o.maxBytesPerSecond);
    this.lastWall = wallMs;
    this.tokens -= bytes;
    if (this.tokens < 0) return `more than ${o.maxBytesPerSecond} bytes/s sustained`;
    return undefined;
  }
}
