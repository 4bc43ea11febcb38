import type { StereoMode, StreamLayout } from '../layout/stream-layout';
import { box, fullBox, u8, u32 } from './mp4-box';

/**
 * Spherical Video V2 (github.com/google/spatial-media, docs/spherical-video-v2-rfc.md) boxes for a
 * visual sample entry: `st3d` (stereo layout) and `sv3d` (projection and initial pose). Players
 * such as YouTube, VLC and ffmpeg's mov demuxer read them from the init segment or the MP4.
 */
const STEREO_MODE: Record<StereoMode, number> = { mono: 0, 'top-bottom': 1, 'side-by-side': 2 };

/** 16.16 fixed point degrees, as prhd stores the pose. */
function fixed16(degrees: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(Math.round(degrees * 65536), 0);
  return b;
}

/** Equirectangular projection bounds are 0.32 fixed-point fractions cropped from each edge. */
function equi(left: number, right: number): Buffer {
  const frac = (x: number) => u32(Math.round(x * 2 ** 32) >>> 0);
  return fullBox('equi', 0, 0, frac(0), frac(0), frac(left), frac(right));
}

/** Pure: the boxes to append to a visual sample entry for `layout` (none for flat video). */
export function sphericalBoxes(layout: StreamLayout, source = 'spherecast'): Buffer[] {
  if (layout.projection === 'flat') return layout.stereo === 'mono' ? [] : [fullBox('st3d', 0, 0, u8(STEREO_MODE[layout.stereo]))];
  const pose = fullBox('prhd', 0, 0, fixed16(layout.view?.yaw ?? 0), fixed16(layout.view?.pitch ?? 0), fixed16(0));
  let mapping: Buffer;
  switch (layout.projection) {
    case 'equirect':
      mapping = equi(0, 0);
      break;
    case 'equirect180':
      // The picture covers the middle half of the sphere's width: a quarter cropped on each side.
      mapping = equi(0.25, 0.25);
      break;
    case 'cubemap':
      // Layout 0 is the 3x2 arrangement of the spec (and of ffmpeg's v360 c3x2 output).
      mapping = fullBox('cbmp', 0, 0, u32(0), u32(0));
      break;
    case 'eac':
      // Spherical Video V2 defines no box for the equi-angular cubemap: only the stereo mode is
      // written, and players learn the projection from the layout JSON beside the master.
      return [fullBox('st3d', 0, 0, u8(STEREO_MODE[layout.stereo]))];
  }
  const sv3d = box('sv3d', fullBox('svhd', 0, 0, Buffer.from(`${source}\0`, 'utf8')), box('proj', pose, mapping));
  return [fullBox('st3d', 0, 0, u8(STEREO_MODE[layout.stereo])), sv3d];
}
