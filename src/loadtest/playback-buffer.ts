/**
 * What a live player's buffer does with the segments it downloads, in wall-clock time: playback starts with
 * the first segment and consumes media in real time; a segment that arrives after the buffered media has run
 * out is a stall (the viewer would have seen the spinner for the difference). Pure: times are passed in.
 */
export interface StallEvent {
  /** Wall time (ms) the stall ended (the late segment arrived, or the run ended while starved). */
  at: number;
  /** How long playback had nothing to play (ms). */
  ms: number;
}

export class PlaybackBuffer {
  /** Media seconds downloaded since playback started. */
  private bufferedEnd = 0;
  /** Playback position (media s) at wall time anchorAt. */
  private anchorPos = 0;
  private anchorAt = -1;
  stalls = 0;
  stalledMs = 0;

  get started(): boolean {
    return this.anchorAt >= 0;
  }

  /** Playback position at wall time `now` (media seconds). */
  position(now: number): number {
    if (!this.started) return 0;
    return Math.min(this.bufferedEnd, this.anchorPos + (now - this.anchorAt) / 1000);
  }

  /** Seconds of media buffered ahead of the playhead at `now`. */
  ahead(now: number): number {
    return this.bufferedEnd - this.position(now);
  }

  /** A segment of `seconds` media finished downloading at wall time `now`; returns the stall it ended, if any. */
  append(seconds: number, now: number): StallEvent | undefined {
    let stall: StallEvent | undefined;
    if (!this.started) {
      this.anchorAt = now;
    } else {
      const starvedMs = this.starvedMs(now);
      if (starvedMs > 0) {
        stall = { at: now, ms: starvedMs };
        this.stalls++;
        this.stalledMs += starvedMs;
        // Playback resumes now from where the buffer ran dry.
        this.anchorPos = this.bufferedEnd;
        this.anchorAt = now;
      }
    }
    this.bufferedEnd += seconds;
    return stall;
  }

  /** At the end of a run: a buffer that is empty now is a stall still in progress. */
  finish(now: number): StallEvent | undefined {
    if (!this.started) return undefined;
    const starvedMs = this.starvedMs(now);
    if (starvedMs <= 0) return undefined;
    this.stalls++;
    this.stalledMs += starvedMs;
    this.anchorPos = this.bufferedEnd;
    this.anchorAt = now;
    return { at: now, ms: starvedMs };
  }

  private starvedMs(now: number): number {
    const wanted = this.anchorPos + (now - this.anchorAt) / 1000;
    return Math.max(0, (wanted - this.bufferedEnd) * 1000);
  }
}
