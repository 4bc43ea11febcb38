/**
 * Segments are cut on keyframes, so a stream whose keyframes are further apart than HLS_FRAGMENT
 * gets segments as long as its keyframe interval (OBS's default of 250 frames makes 8 s segments
 * and a long wait before playback). This measures the distance between one stream's keyframes and
 * reports the first one too long, once, so the publisher can be told what to change.
 */
export class KeyframeInterval {
  private lastKeyMs?: number;
  private reported = false;

  constructor(private readonly limitSeconds: number) {}

  /** A keyframe with this DTS; returns the interval in seconds the first time one exceeds the limit. */
  keyframe(dtsMs: number): number | undefined {
    const last = this.lastKeyMs;
    this.lastKeyMs = dtsMs;
    if (this.reported || last === undefined) return undefined;
    const gapMs = dtsMs - last;
    // FLV timestamps are whole milliseconds and NTSC rates run 1000/1001 slow: a 60-frame GOP at
    // 29.97 fps is 2.002 s. Those are keyframes "every 2 s" as the encoder was told; a real
    // mismatch (OBS's 250 frames, "auto") is seconds off. A timestamp reset (gap <= 0) says nothing.
    if (gapMs <= 0 || gapMs <= this.limitSeconds * 1000 * 1.01 + 20) return undefined;
    this.reported = true;
    return gapMs / 1000;
  }
}
