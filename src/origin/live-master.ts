import { writeAtomic } from './write-atomic';
import { writeMasterPlaylist, type Variant } from '../shared/hls-playlist';
import { reqVideoLayout } from '../shared/layout/hls-video-layout';
import type { StreamLayout } from '../shared/layout/stream-layout';
import type { MediaInfo } from './media-info';

export interface LiveMasterOptions {
  readonly masterPath: string;
  /** The variant playlist's URI relative to the master. */
  readonly variantUri: string;
  readonly info: MediaInfo;
  /** HLS_VIDEO_LAYOUT: write REQ-VIDEO-LAYOUT (and version 12) once the stream's layout is known. */
  readonly videoLayout?: boolean;
  /**
   * Variant i gets i bits/s more BANDWIDTH than measured, so no two are alike: hls.js folds variants with the same
   * BANDWIDTH, RESOLUTION, FRAME-RATE and CODECS into redundant streams of one level (pathways) and plays only one.
   * For the viewport master, whose renditions are the same size and bitrate and are told apart by yaw.
   */
  readonly distinctBandwidths?: boolean;
}

type Segments = ReadonlyArray<{ bytes: number; duration: number }>;

interface VariantState {
  readonly info: MediaInfo;
  /** What the master lists for it, once it has a measured segment. */
  listed?: Variant;
}

/**
 * The master playlist of a live stream: the source's variant, then the live ladder's (LIVE_LADDER)
 * as they are added, each with BANDWIDTH (peak segment bitrate), AVERAGE-BANDWIDTH, RESOLUTION,
 * CODECS and FRAME-RATE as measured, whichever packager made the segments. A variant is listed
 * once it has a segment. Rewritten only when a peak grew, a variant changed shape, came or left,
 * so caches keep it.
 */
export class LiveMaster {
  private last = '';
  private readonly variants = new Map<string, VariantState>();
  /** Writes in order: two rewrites never share the temporary file. */
  private io: Promise<void> = Promise.resolve();
  private layout: StreamLayout | undefined;

  constructor(private readonly opts: LiveMasterOptions) {
    this.variants.set(opts.variantUri, { info: opts.info });
  }

  /** The stream's layout, resolved when its video configuration arrives; a change rewrites the master. */
  setLayout(layout: StreamLayout): void {
    this.layout = layout;
    // A failed write is retried by the next segment's update; nothing waits on this one.
    this.write().catch(() => undefined);
  }

  /** The source variant. `segments`: bytes and seconds of the segments in the live playlist now. */
  update(segments: Segments): Promise<void> {
    return this.updateVariant(this.opts.variantUri, segments);
  }

  /** Another rendition of the stream (a ladder rung), listed after the source from its first segment on. */
  addVariant(uri: string, info: MediaInfo): void {
    if (!this.variants.has(uri)) this.variants.set(uri, { info });
  }

  /** A rendition that stopped (its encoder died or fell behind) leaves the master. */
  removeVariant(uri: string): Promise<void> {
    if (uri === this.opts.variantUri || !this.variants.delete(uri)) return this.io;
    return this.write();
  }

  /** The variants the master lists now (as measured), in its order. */
  get listedVariants(): Variant[] {
    return [...this.variants.values()].flatMap((v) => (v.listed ? [v.listed] : []));
  }

  /** URIs of the variants the master lists now, in its order. */
  get listedUris(): string[] {
    return [...this.variants].filter(([, v]) => v.listed).map(([uri]) => uri);
  }

  updateVariant(uri: string, segments: Segments): Promise<void> {
    const state = this.variants.get(uri);
    if (!state) return this.io;
    const measured = measuredVariant(uri, state.info, segments);
    if (!measured) return this.io;
    const variant = this.opts.distinctBandwidths ? { ...measured, bandwidth: measured.bandwidth + [...this.variants.keys()].indexOf(uri) } : measured;
    const shape = (v: Variant) => JSON.stringify([v.codecs, v.resolution]);
    const was = state.listed;
    if (was && variant.bandwidth <= was.bandwidth && shape(was) === shape(variant)) return this.io;
    state.listed = variant;
    return this.write();
  }

  private write(): Promise<void> {
    // Every rendition of a stream has its layout (the ladder keeps the picture's shape).
    const videoLayout = this.opts.videoLayout && this.layout ? reqVideoLayout(this.layout) : undefined;
    const variants = [...this.variants.values()].flatMap((v) => (v.listed ? [videoLayout ? { ...v.listed, videoLayout } : v.listed] : []));
    if (!variants.length) return this.io;
    const master = writeMasterPlaylist({ variants, independentSegments: true });
    if (master === this.last) return this.io;
    this.last = master;
    const path = this.opts.masterPath;
    // A failed write (reported to its caller) does not stop later ones.
    this.io = this.io.catch(() => undefined).then(() => writeAtomic(path, master));
    return this.io;
  }
}

/** Pure: one variant's master entry from the segments in its playlist; undefined before any has bytes. */
export function measuredVariant(uri: string, info: MediaInfo, segments: Segments): Variant | undefined {
  let peak = 0;
  let bytes = 0;
  let seconds = 0;
  for (const s of segments) {
    if (!s.bytes || s.duration <= 0) continue;
    peak = Math.max(peak, (s.bytes * 8) / s.duration);
    bytes += s.bytes;
    seconds += s.duration;
  }
  if (!peak) return undefined;
  const codecs = [info.video?.codec, info.audio?.codec].filter((c): c is string => !!c);
  return {
    uri,
    // Rounded up so small swings do not rewrite the master (and invalidate caches) every segment.
    bandwidth: Math.ceil(peak / 50_000) * 50_000,
    averageBandwidth: Math.ceil((bytes * 8) / seconds / 50_000) * 50_000,
    ...(info.video?.width ? { resolution: { width: info.video.width, height: info.video.height } } : {}),
    codecs,
    ...(info.frameRate ? { frameRate: Math.round(info.frameRate * 1000) / 1000 } : {}),
  };
}
