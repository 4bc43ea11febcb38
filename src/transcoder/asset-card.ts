import type { StreamLayout } from '../shared/layout/stream-layout';
import type { MediaInfo } from './probe';
import type { MeasuredRendition } from './rendition-measure';

/** The file beside a VOD asset's playlists that the index reads to show it (see src/player/stream-index.ts). */
export const ASSET_CARD_FILE = 'asset.json';

/** What the index shows of a VOD asset, written once per transcode. */
export interface AssetCard {
  readonly version: 1;
  /** The stream name of a recording (`talk` of `talk-1700000000`), else the asset name. */
  readonly title: string;
  /** ISO 8601: when the recording started (from its name), when known. */
  readonly recordedAt?: string;
  /** ISO 8601: when this transcode finished. */
  readonly publishedAt: string;
  /** Seconds. */
  readonly duration?: number;
  readonly width: number;
  readonly height: number;
  readonly layout: { projection: string; stereo: string; yaw?: number; pitch?: number };
  /** Video renditions, highest first. */
  readonly renditions: ReadonlyArray<{ name: string; width: number; height: number; bandwidth: number }>;
  /** File names beside this card. */
  readonly master: string;
  readonly poster?: string;
}

/** `<name>-<unix seconds>`, the name the origin gives each recording part. */
const RECORDING_NAME = /^(.+)-(\d{9,11})$/;

/** The card of an asset. Pure. */
export function assetCard(o: {
  asset: string;
  source: MediaInfo;
  layout: StreamLayout;
  renditions: readonly MeasuredRendition[];
  master: string;
  poster?: string;
  publishedAt: Date;
}): AssetCard {
  const recording = RECORDING_NAME.exec(o.asset);
  const video = o.renditions
    .filter((r) => r.kind === 'video' && r.width && r.height)
    .map((r) => ({ name: r.name, width: r.width!, height: r.height!, bandwidth: r.peakBandwidth }))
    .sort((a, b) => b.height * b.width - a.height * a.width || b.bandwidth - a.bandwidth);
  return {
    version: 1,
    title: recording ? recording[1] : o.asset,
    ...(recording ? { recordedAt: new Date(Number(recording[2]) * 1000).toISOString() } : {}),
    publishedAt: o.publishedAt.toISOString(),
    ...(o.source.duration !== undefined ? { duration: Math.round(o.source.duration * 1000) / 1000 } : {}),
    width: o.source.video?.width ?? 0,
    height: o.source.video?.height ?? 0,
    layout: { projection: o.layout.projection, stereo: o.layout.stereo, ...(o.layout.view ? { yaw: o.layout.view.yaw, pitch: o.layout.view.pitch } : {}) },
    renditions: video,
    master: o.master,
    ...(o.poster ? { poster: o.poster } : {}),
  };
}
