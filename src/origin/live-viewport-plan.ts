import type { StreamLayout } from '../shared/layout/stream-layout';
import { roiFilters, viewportYaws } from '../shared/layout/viewport-roi';
import { liveRateControl, type LadderRung } from './live-ladder-plan';

/** LIVE_VIEWPORT_RENDITIONS with VIEWPORT_BITRATE_SHARE and VIEWPORT_QOFFSET. */
export interface LiveViewportSettings {
  /** K renditions 360/K degrees of yaw apart; 0 = none. */
  readonly count: number;
  /** Share of the source's video bitrate each gets. */
  readonly bitrateShare: number;
  /** addroi quantiser offset of the favoured band (-1..0). */
  readonly qoffset: number;
}

/** A viewport rung: the whole equirect picture at the source's size, with its bits biased toward `yaw`. */
export interface ViewportRung extends LadderRung {
  readonly yaw: number;
  /** addroi filters (roiFilters) over the band facing `yaw`. */
  readonly roi: string;
}

/**
 * Bits per pixel per frame assumed for a source that declares no videodatarate (typical of H.264 live 360 at
 * encoder presets near veryfast); the share applies to it as to a declared rate.
 */
const FALLBACK_BITS_PER_PIXEL = 0.1;
const FALLBACK_FRAME_RATE = 30;

/**
 * Pure: the viewport renditions of one live stream, or none. Only a 2:1 mono equirect picture gets them (each is
 * a plain equirect whose bits lean toward one yaw; a stereo or other projection would need its own bands). They
 * are made at the source's size, not the largest ladder rung's: the source is the top rendition, the ladder may
 * be empty, and a viewer looking one way gets the source's sharpness there for a share of its bits.
 * `sourceBitrate` is the video bitrate the publisher declared (onMetaData), else 0.
 */
export function planLiveViewport(
  source: { width: number; height: number; frameRate?: number },
  layout: StreamLayout | undefined,
  sourceBitrate: number,
  settings: LiveViewportSettings,
): ViewportRung[] {
  const { width, height } = source;
  if (settings.count < 2 || !layout || layout.projection !== 'equirect' || layout.stereo !== 'mono') return [];
  if (!(width > 0 && height > 0) || width !== height * 2) return [];
  const base = sourceBitrate > 0 ? sourceBitrate : width * height * (source.frameRate || FALLBACK_FRAME_RATE) * FALLBACK_BITS_PER_PIXEL;
  const bitrate = Math.max(1000, Math.round(base * settings.bitrateShare));
  return viewportYaws(settings.count).map((yaw) => ({
    name: `yaw-${String(Math.round(yaw)).padStart(3, '0')}`,
    width,
    height,
    bitrate,
    ...liveRateControl(bitrate),
    yaw,
    roi: roiFilters(width, height, yaw, settings.count, settings.qoffset),
  }));
}
