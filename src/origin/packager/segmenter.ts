import type { FragmentTrack } from './fragment';
import type { TimedSample } from './track-timeline';

export interface SegmenterTrack {
  readonly id: number;
  readonly timescale: number;
}

export interface SegmenterOptions {
  /** The track whose samples place the boundaries: video when there is video, else audio. */
  readonly driving: SegmenterTrack;
  readonly others: readonly SegmenterTrack[];
  /** Segments are cut on the first sync sample at or after this many seconds (HLS_FRAGMENT). */
  readonly segmentSeconds: number;
  /** Wished part duration (HLS_PART); the announced part target is derived from it and the frame rate. */
  readonly partSeconds: number;
  readonly onPart: (part: CutPart) => void;
}

/** One LL-HLS partial segment as cut: what becomes one moof+mdat. */
export interface CutPart {
  readonly tracks: readonly FragmentTrack[];
  /** Seconds of the driving track this part covers. */
  readonly duration: number;
  /** Driving-track decode time of its first sample, in seconds from the stream's start. */
  readonly start: number;
  /** It starts with a sync sample of the driving track (EXT-X-PART INDEPENDENT=YES). */
  readonly independent: boolean;
  /** The segment ends with this part. */
  readonly endsSegment: boolean;
}

/** Below this share of HLS_FRAGMENT a keyframe does not end a segment; absorbs millisecond timestamp jitter. */
const SEGMENT_SLACK = 0.99;

/**
 * Cuts the samples of a stream into parts and segments (as gohlslib's muxer_segmenter does):
 * a segment starts on a sync sample of the driving track once the current one reached
 * HLS_FRAGMENT; a part ends before the sample that would make it longer than the part target.
 * Samples of the other tracks join the part open when they arrive. Pure apart from `onPart`.
 */
export class Segmenter {
  private partTargetTicks?: number;
  private segmentStart = -1;
  private partStart = -1;
  private partIndependent = false;
  private readonly samples = new Map<number, TimedSample[]>();

  constructor(private readonly opts: SegmenterOptions) {
    this.samples.set(opts.driving.id, []);
    for (const t of opts.others) this.samples.set(t.id, []);
  }

  /**
   * The part target announced in EXT-X-PART-INF (seconds): HLS_PART rounded up to whole frames
   * plus half a frame for millisecond jitter, so every part of k frames stays within it and above
   * the spec's 85 %. Known once the first sample of the driving track is complete.
   */
  get partTarget(): number | undefined {
    return this.partTargetTicks === undefined ? undefined : this.partTargetTicks / this.opts.driving.timescale;
  }

  /** Whether the first segment has started (a sync sample of the driving track arrived). */
  get started(): boolean {
    return this.segmentStart >= 0;
  }

  push(trackId: number, s: TimedSample): void {
    const driving = this.opts.driving;
    if (trackId !== driving.id) {
      if (this.started) this.samples.get(trackId)?.push(s);
      return;
    }
    if (this.partTargetTicks === undefined) {
      // A tenth of a frame of tolerance: millisecond timestamps make 33.3 ms frames look like 33 ms ones.
      const frames = Math.max(1, Math.ceil((this.opts.partSeconds * driving.timescale) / s.duration - 0.1));
      this.partTargetTicks = Math.round((frames + 0.5) * s.duration);
    }
    if (!this.started) {
      if (!s.sync) return; // the first segment must start decodable
      this.segmentStart = s.decodeTime;
      this.startPart(s);
      return;
    }
    const segmentTicks = this.opts.segmentSeconds * driving.timescale * SEGMENT_SLACK;
    if (s.sync && s.decodeTime - this.segmentStart >= segmentTicks) {
      this.emit(true);
      this.segmentStart = s.decodeTime;
      this.startPart(s);
    } else if (s.decodeTime + s.duration - this.partStart > this.partTargetTicks) {
      this.emit(false);
      this.startPart(s);
    } else {
      this.samples.get(driving.id)!.push(s);
    }
  }

  /** Ends the stream: the open part closes its segment. */
  flush(): void {
    if (this.started && this.samples.get(this.opts.driving.id)!.length) this.emit(true);
  }

  private startPart(s: TimedSample): void {
    this.partStart = s.decodeTime;
    this.partIndependent = s.sync;
    this.samples.get(this.opts.driving.id)!.push(s);
  }

  private emit(endsSegment: boolean): void {
    const driving = this.opts.driving;
    const tracks: FragmentTrack[] = [];
    let duration = 0;
    for (const [id, samples] of this.samples) {
      if (!samples.length) continue;
      tracks.push({ id, baseDecodeTime: samples[0]!.decodeTime, samples });
      if (id === driving.id) for (const s of samples) duration += s.duration;
      this.samples.set(id, []);
    }
    this.opts.onPart({
      tracks,
      duration: duration / driving.timescale,
      start: this.partStart / driving.timescale,
      independent: this.partIndependent,
      endsSegment,
    });
  }
}
