/**
 * Orientation-biased ("viewport") renditions of a 2:1 mono equirect source, chosen by measurement
 * (npm run bench:viewport): K copies of the largest equirect rung, each with an x264/x265 region-of-interest
 * quantiser offset (ffmpeg's addroi) over the band a viewer facing its yaw can see, so the bits go where the viewer
 * looks. The picture stays a plain equirect (no re-projection in the player) and every copy is encoded in the same
 * ffmpeg run as the ladder, so segments of all yaws start at the same keyframes and a player switches between them
 * at any segment boundary. Pure.
 */
import type { RenditionPlan, VideoRendition } from './ladder';
import type { MeasuredRendition } from './rendition-measure';
import { viewportListingJson } from '../shared/layout/viewport-listing';
import { favouredBand, roiFilters, viewportYaws } from '../shared/layout/viewport-roi';

/** The master listing the viewport renditions as variants; the main master never lists them. */
export const VIEWPORT_MASTER_NAME = 'MANIFEST_VIEWPORT.M3U8';

export const VIEWPORT_RENDITIONS_LIMIT = 36;

export interface ViewportOptions {
  /** K renditions, 360/K degrees apart from yaw 0 (the middle of the picture). */
  readonly count: number;
  /** Share of the largest rung's bitrate each viewport rendition gets. */
  readonly bitrateShare: number;
  /** addroi quantiser offset of the favoured band (-1..0; x264 scales it to up to -51 QP). */
  readonly qoffset: number;
}

/**
 * The plan with K viewport renditions added (`yaw-<degrees>`), at the size and codec of its largest equirect rung
 * (H.264 when that rung has an H.264 copy) and `bitrateShare` of its bitrates. A plan without an equirect rung, or
 * K = 0, is returned as it is.
 */
export function withViewportRenditions(plan: RenditionPlan, opts: ViewportOptions): RenditionPlan {
  if (opts.count < 2) return plan;
  const ladder = plan.video.filter((r) => r.projection === 'equirect' && r.viewportYaw === undefined);
  if (ladder.length === 0) return plan;
  const area = (r: VideoRendition): number => r.width * r.height;
  const largest = Math.max(...ladder.map(area));
  const top = ladder.filter((r) => area(r) === largest).sort((a, b) => (a.codec === 'h264' ? -1 : b.codec === 'h264' ? 1 : 0))[0];
  const share = (n: number): number => Math.max(1, Math.round(n * opts.bitrateShare));
  const video = viewportYaws(opts.count).map(
    (yaw): VideoRendition => ({
      name: `yaw-${String(Math.round(yaw)).padStart(3, '0')}`,
      width: top.width,
      height: top.height,
      bitrate: share(top.bitrate),
      maxrate: share(top.maxrate),
      bufsize: share(top.bufsize),
      projection: 'equirect',
      codec: top.codec,
      viewportYaw: yaw,
      roi: roiFilters(top.width, top.height, yaw, opts.count, opts.qoffset),
    }),
  );
  return { ...plan, video: [...plan.video, ...video] };
}

/**
 * `<master>.viewport.json` for a plan's viewport renditions, from their measured figures (audio included in each
 * bandwidth, as a variant's BANDWIDTH is); undefined when the plan has none. Used by the single-job and fleet paths.
 */
export function viewportListingFor(plan: RenditionPlan, measured: readonly Pick<MeasuredRendition, 'name' | 'peakBandwidth'>[]): string | undefined {
  const viewport = plan.video.filter((r) => r.viewportYaw !== undefined);
  if (viewport.length === 0) return undefined;
  const peak = (name: string): number => measured.find((m) => m.name === name)?.peakBandwidth ?? 0;
  return viewportListingJson({
    master: VIEWPORT_MASTER_NAME,
    band: favouredBand(viewport.length),
    renditions: viewport.map((r) => ({ yaw: r.viewportYaw!, uri: `${r.name}/index.m3u8`, bandwidth: peak(r.name) + peak(plan.audio.name), width: r.width, height: r.height })),
  });
}
