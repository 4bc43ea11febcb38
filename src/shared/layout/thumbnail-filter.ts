// The ffmpeg filter that turns one frame of a stream into the picture people see before they press play: for 360
// and 180 video a rectilinear view of where the stream starts (its initial view), not the distorted full frame; for
// stereo one eye. Pure and browser-safe.
import type { StreamLayout } from './stream-layout';

export interface ThumbnailSize {
  readonly width: number;
  readonly height: number;
}

export const THUMBNAIL_SIZE: ThumbnailSize = { width: 480, height: 270 };

/** What a person sees through a phone held in landscape: 90 degrees across. */
export const THUMBNAIL_H_FOV = 90;

/** v360's name for each spherical projection (cubemap is v360's own c3x2, the face order the player reads). */
const V360_INPUT = { equirect: 'e', equirect180: 'hequirect', cubemap: 'c3x2', eac: 'eac' } as const;

/** Vertical field of view that keeps square pixels in a `size` picture `hFov` degrees across. */
export function verticalFov(hFov: number, size: ThumbnailSize): number {
  const half = (hFov * Math.PI) / 360;
  return (Math.atan((Math.tan(half) * size.height) / size.width) * 360) / Math.PI;
}

const round = (n: number): string => String(Math.round(n * 1000) / 1000);

/**
 * `-vf` for a thumbnail of `size`: the left eye (top half of top-bottom, left half of side-by-side, as st3d and the
 * player have it), then v360 to a flat view of THUMBNAIL_H_FOV centred on the initial view (v360's yaw turns right
 * and pitch looks up, as ours do), or for flat video a scale that fits and pads. Ends in full-range 4:2:0 for MJPEG.
 */
export function thumbnailFilter(layout: StreamLayout, size: ThumbnailSize = THUMBNAIL_SIZE): string {
  const steps: string[] = [];
  if (layout.stereo === 'top-bottom') steps.push('crop=iw:ih/2:0:0');
  else if (layout.stereo === 'side-by-side') steps.push('crop=iw/2:ih:0:0');
  if (layout.projection === 'flat') {
    steps.push(`scale=${size.width}:${size.height}:force_original_aspect_ratio=decrease`, `pad=${size.width}:${size.height}:-1:-1`);
  } else {
    const view = layout.view ?? { yaw: 0, pitch: 0 };
    steps.push(
      [
        `v360=input=${V360_INPUT[layout.projection]}`,
        'output=flat',
        `h_fov=${THUMBNAIL_H_FOV}`,
        `v_fov=${round(verticalFov(THUMBNAIL_H_FOV, size))}`,
        `yaw=${round(view.yaw)}`,
        `pitch=${round(view.pitch)}`,
        `w=${size.width}`,
        `h=${size.height}`,
        'interp=cubic',
      ].join(':'),
    );
  }
  steps.push('format=yuvj420p');
  return steps.join(',');
}
