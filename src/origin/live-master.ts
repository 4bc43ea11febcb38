import { rename, writeFile } from 'node:fs/promises';
import { writeMasterPlaylist } from '../shared/hls-playlist';
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
}

/**
 * The master playlist of a live stream: one variant with BANDWIDTH (peak segment bitrate),
 * AVERAGE-BANDWIDTH, RESOLUTION, CODECS and FRAME-RATE as measured, whichever packager made the
 * segments. Rewritten only when the peak grew or the stream changed shape, so caches keep it.
 */
export class LiveMaster {
  private last = '';
  private lastBandwidth = 0;
  private lastShape = '';
  private layout: StreamLayout | undefined;

  constructor(private readonly opts: LiveMasterOptions) {}

  /** The stream's layout, resolved when its video configuration arrives; a change rewrites the master. */
  setLayout(layout: StreamLayout): void {
    this.layout = layout;
  }

  /** `segments`: bytes and seconds of the segments in the live playlist now. */
  async update(segments: ReadonlyArray<{ bytes: number; duration: number }>): Promise<void> {
    let peak = 0;
    let bytes = 0;
    let seconds = 0;
    for (const s of segments) {
      if (!s.bytes || s.duration <= 0) continue;
      peak = Math.max(peak, (s.bytes * 8) / s.duration);
      bytes += s.bytes;
      seconds += s.duration;
    }
    if (!peak) return;
    const info = this.opts.info;
    const codecs = [info.video?.codec, info.audio?.codec].filter((c): c is string => !!c);
    const variant = {
      uri: this.opts.variantUri,
      // Rounded up so small swings do not rewrite the master (and invalidate caches) every segment.
      bandwidth: Math.ceil(peak / 50_000) * 50_000,
      averageBandwidth: Math.ceil((bytes * 8) / seconds / 50_000) * 50_000,
      ...(info.video?.width ? { resolution: { width: info.video.width, height: info.video.height } } : {}),
      codecs,
      ...(info.frameRate ? { frameRate: Math.round(info.frameRate * 1000) / 1000 } : {}),
      ...(this.opts.videoLayout && this.layout ? { videoLayout: reqVideoLayout(this.layout) } : {}),
    };
    const shape = JSON.stringify([variant.codecs, variant.resolution, variant.videoLayout]);
    if (this.last && variant.bandwidth <= this.lastBandwidth && this.lastShape === shape) return;
    const master = writeMasterPlaylist({ variants: [variant], independentSegments: true });
    if (master === this.last) return;
    this.last = master;
    this.lastBandwidth = variant.bandwidth;
    this.lastShape = shape;
    const tmp = `${this.opts.masterPath}.tmp`;
    await writeFile(tmp, master);
    await rename(tmp, this.opts.masterPath);
  }
}
