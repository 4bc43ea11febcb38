import type { FragmentSample } from './fragment';

/** A sample whose duration is known, placed on its track's timeline. */
export interface TimedSample extends FragmentSample {
  /** Decode time in the track's timescale, counted from the stream's first timestamp. */
  readonly decodeTime: number;
}

export interface TrackTimelineOptions {
  readonly timescale: number;
  /**
   * Ticks per sample for codecs with a fixed frame length (AAC: 1024). RTMP timestamps are whole
   * milliseconds, so such tracks are laid on their exact grid and only re-anchored on a real gap.
   */
  readonly fixedDuration?: number;
}

/**
 * Turns the millisecond timestamps RTMP delivers into one track's exact timeline. A sample's
 * duration is the distance to the next one, so each sample is handed on when its successor
 * arrives (one sample of delay), or at flush. Decode times never go backwards, whatever the
 * publisher sends.
 */
export class TrackTimeline {
  private pending?: { decodeTime: number; compositionOffset: number; sync: boolean; data: Buffer };
  private lastDuration: number;

  constructor(private readonly opts: TrackTimelineOptions) {
    this.lastDuration = opts.fixedDuration ?? Math.round(opts.timescale / 30);
  }

  /** `dtsMs` is relative to the stream's first timestamp; returns the previous sample, now complete. */
  push(dtsMs: number, ctsMs: number, sync: boolean, data: Buffer): TimedSample | undefined {
    const ticks = Math.round((dtsMs * this.opts.timescale) / 1000);
    const prev = this.pending;
    let decodeTime = ticks;
    if (prev) {
      const fixed = this.opts.fixedDuration;
      // On the fixed grid unless the timestamps moved by more than one frame from it (a gap).
      if (fixed && Math.abs(ticks - (prev.decodeTime + fixed)) <= fixed) decodeTime = prev.decodeTime + fixed;
      decodeTime = Math.max(decodeTime, prev.decodeTime + 1);
    } else {
      decodeTime = Math.max(0, ticks);
    }
    const compositionOffset = Math.round((ctsMs * this.opts.timescale) / 1000);
    this.pending = { decodeTime, compositionOffset, sync, data };
    if (!prev) return undefined;
    this.lastDuration = decodeTime - prev.decodeTime;
    return { ...prev, duration: this.lastDuration };
  }

  /** The last sample, given the duration of the one before it. */
  flush(): TimedSample | undefined {
    const prev = this.pending;
    this.pending = undefined;
    return prev ? { ...prev, duration: this.lastDuration } : undefined;
  }
}
