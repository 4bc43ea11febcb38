import type { Clock } from '../../shared/clock';
import { readFlvMedia } from './flv-media';
import { writeInitSegment, type InitTrack } from './init-segment';
import { LiveRendition, type LiveRenditionOptions } from './live-rendition';
import { aacSampleEntry, videoSampleEntry, type VideoCodecConfig } from '../../shared/mp4/sample-entry';
import { Segmenter } from './segmenter';
import { TrackTimeline } from './track-timeline';

export interface StreamPackagerOptions {
  readonly segmentSeconds: number;
  readonly partSeconds: number;
  readonly windowSeconds: number;
  /** Seconds from the live edge whose bytes stay in memory (a DVR window's older segments come from disk). */
  readonly memorySeconds?: number;
  readonly clock: Clock;
  readonly onSegment?: LiveRenditionOptions['onSegment'];
  readonly onPart?: LiveRenditionOptions['onPart'];
  /** Media sequence number of the first segment (numbering continues across publishes of a name). */
  readonly firstMsn?: number;
  /**
   * Another rendition of the same stream (the live ladder's) shares the source's clock: the same
   * wall-clock time of media time 0 and the same input timestamp as media time 0, so equal
   * pictures get equal presentation times and PROGRAM-DATE-TIMEs in every rendition.
   */
  readonly timeBase?: TimeBase;
}

export interface TimeBase {
  readonly epochMs: number;
  /** The input timestamp (ms) that is media time 0, once known. */
  readonly origin: () => number | undefined;
}

export interface VideoTrackConfig {
  readonly config: VideoCodecConfig;
  readonly width: number;
  readonly height: number;
  /** Extra boxes for the visual sample entry (spherical metadata). */
  readonly extraBoxes?: readonly Buffer[];
}

export interface AudioTrackConfig {
  readonly asc: Buffer;
  readonly sampleRate: number;
  readonly channels: number;
}

const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
const VIDEO_TIMESCALE = 90_000;
const AAC_FRAME = 1024;
/** Audio-only publishes start after this many audio frames with no video configuration (about 1 s). */
const AUDIO_ONLY_AFTER_FRAMES = 50;

/**
 * The in-process packager of one publish: FLV tag bodies in, fMP4 parts and segments out through
 * a LiveRendition. It starts on the first keyframe once the video configuration is known (or
 * audio-only after about a second of audio with no video configuration); a changed codec
 * configuration ends the segment and maps a new init segment.
 */
export class StreamPackager {
  readonly rendition: LiveRendition;
  private video?: VideoTrackConfig;
  private audio?: AudioTrackConfig;
  private segmenter?: Segmenter;
  private videoTimeline?: TrackTimeline;
  private audioTimeline?: TrackTimeline;
  private firstDts?: number;
  private audioFramesWaiting = 0;
  private tracks: { video: boolean; audio: boolean } = { video: false, audio: false };
  /** Wall-clock time (ms) of media time 0. */
  readonly epochMs: number;

  constructor(private readonly opts: StreamPackagerOptions) {
    this.epochMs = opts.timeBase?.epochMs ?? opts.clock.now();
    this.rendition = new LiveRendition(
      {
        windowSeconds: opts.windowSeconds,
        ...(opts.memorySeconds ? { memorySeconds: opts.memorySeconds } : {}),
        segmentSeconds: opts.segmentSeconds,
        epochMs: this.epochMs,
        clock: opts.clock,
        ...(opts.onSegment ? { onSegment: opts.onSegment } : {}),
        ...(opts.onPart ? { onPart: opts.onPart } : {}),
      },
      opts.firstMsn ?? 0,
    );
  }

  setVideoConfig(v: VideoTrackConfig): void {
    const same = (a: readonly Buffer[] = [], b: readonly Buffer[] = []) => a.length === b.length && a.every((x, i) => x.equals(b[i]!));
    if (this.video && this.video.config.record.equals(v.config.record) && this.video.width === v.width && same(this.video.extraBoxes, v.extraBoxes)) return;
    this.video = { ...v, config: { codec: v.config.codec, record: Buffer.from(v.config.record) } };
    if (this.segmenter) this.restart();
  }

  setAudioConfig(a: AudioTrackConfig): void {
    if (this.audio && this.audio.asc.equals(a.asc)) return;
    this.audio = { ...a, asc: Buffer.from(a.asc) };
    if (this.segmenter && this.tracks.audio) this.restart();
  }

  /**
   * One FLV audio or video tag body; `dtsMs` as RTMP delivered it. The body's bytes are kept
   * until its part is written, uncopied: the caller must never change them (RTMP message payloads
   * are fresh buffers the chunk reader lets go of).
   */
  write(type: number, dtsMs: number, body: Buffer): void {
    const m = readFlvMedia(type, body);
    if (m.kind !== 'video' && m.kind !== 'audio') return;
    if (!this.segmenter) {
      const audioOnly = m.kind === 'audio' && !this.video && this.audio && ++this.audioFramesWaiting >= AUDIO_ONLY_AFTER_FRAMES;
      if (!((m.kind === 'video' && m.key && this.video) || audioOnly)) return;
      this.begin();
    }
    this.firstDts ??= this.opts.timeBase?.origin() ?? dtsMs;
    const t = dtsMs - this.firstDts;
    if (m.kind === 'video' && this.videoTimeline) {
      const s = this.videoTimeline.push(t, m.cts, m.key, m.data);
      if (s) this.segmenter!.push(VIDEO_TRACK, s);
    } else if (m.kind === 'audio' && this.audioTimeline) {
      const s = this.audioTimeline.push(t, 0, true, m.data);
      if (s) this.segmenter!.push(AUDIO_TRACK, s);
    }
  }

  /** This rendition's clock, for the stream's other renditions. */
  get timeBase(): TimeBase {
    return { epochMs: this.epochMs, origin: () => this.firstDts };
  }

  /** Ends the publish: the last part closes the last segment; the playlist gets ENDLIST. */
  end(): void {
    this.drain();
    this.rendition.end();
  }

  private begin(): void {
    const tracks: InitTrack[] = [];
    if (this.video) {
      tracks.push({
        id: VIDEO_TRACK,
        kind: 'video',
        timescale: VIDEO_TIMESCALE,
        width: this.video.width,
        height: this.video.height,
        sampleEntry: videoSampleEntry(this.video),
      });
    }
    if (this.audio) tracks.push({ id: AUDIO_TRACK, kind: 'audio', timescale: this.audio.sampleRate, sampleEntry: aacSampleEntry(this.audio) });
    this.rendition.setInit(writeInitSegment(tracks));
    this.tracks = { video: !!this.video, audio: !!this.audio };
    this.videoTimeline ??= this.video ? new TrackTimeline({ timescale: VIDEO_TIMESCALE }) : undefined;
    this.audioTimeline ??= this.audio ? new TrackTimeline({ timescale: this.audio.sampleRate, fixedDuration: AAC_FRAME }) : undefined;
    const driving = this.video ? { id: VIDEO_TRACK, timescale: VIDEO_TIMESCALE } : { id: AUDIO_TRACK, timescale: this.audio!.sampleRate };
    const others = this.video && this.audio ? [{ id: AUDIO_TRACK, timescale: this.audio.sampleRate }] : [];
    const segmenter = new Segmenter({
      driving,
      others,
      segmentSeconds: this.opts.segmentSeconds,
      partSeconds: this.opts.partSeconds,
      onPart: (part) => {
        if (segmenter.partTarget) this.rendition.setPartTarget(segmenter.partTarget);
        this.rendition.addPart(part);
      },
    });
    this.segmenter = segmenter;
  }

  /** A codec configuration changed: what is buffered ends the segment, the next keyframe starts anew. */
  private restart(): void {
    this.drain();
    this.segmenter = undefined;
  }

  private drain(): void {
    const s = this.segmenter;
    if (!s) return;
    const v = this.videoTimeline?.flush();
    if (v) s.push(VIDEO_TRACK, v);
    const a = this.audioTimeline?.flush();
    if (a) s.push(AUDIO_TRACK, a);
    s.flush();
  }
}
