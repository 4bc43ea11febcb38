import { autoLayout, type Projection, type StereoMode, type StreamLayout } from '../shared/layout/stream-layout';

/**
 * A source's layout from what ffprobe reads out of it: the `Spherical Mapping` and `Stereo 3D` side data of its
 * video stream (from `sv3d`/`st3d` in MP4, the Projection and StereoMode elements in Matroska), else the auto rule
 * (a 2:1 picture is mono equirect, anything else flat). Pure; unknown values fall back rather than fail, since a
 * recording with odd metadata should still be transcoded.
 */
export interface SideData {
  readonly side_data_type?: unknown;
  readonly [key: string]: unknown;
}

/** ffprobe's bounded answer could list anything; a real stream has a handful of side data entries. */
const MAX_SIDE_DATA = 32;

const STEREO: Readonly<Record<string, StereoMode>> = { '2D': 'mono', 'top and bottom': 'top-bottom', 'side by side': 'side-by-side' };

function degrees(v: unknown, limit: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.max(-limit, Math.min(limit, n)) : undefined;
}

function projectionOf(entry: SideData, width: number): Projection | undefined {
  switch (entry.projection) {
    case 'equirectangular':
      return 'equirect';
    case 'cubemap':
      return 'cubemap';
    case 'tiled equirectangular': {
      // ffprobe gives the cropped edges in pixels of the whole sphere's picture: a 180 degree frame has as many
      // pixels cropped left and right together as it is wide.
      const edges = Number(entry.bound_left) + Number(entry.bound_right);
      return Number.isFinite(edges) && width > 0 && Math.abs(edges - width) / width < 0.02 ? 'equirect180' : 'equirect';
    }
    default:
      return undefined;
  }
}

export function layoutFromSideData(sideData: readonly SideData[] | undefined, picture: { width: number; height: number }): StreamLayout {
  const entries = (sideData ?? []).slice(0, MAX_SIDE_DATA);
  const auto = autoLayout(picture.width, picture.height);
  const spherical = entries.find((e) => e.side_data_type === 'Spherical Mapping');
  const stereo = entries.find((e) => e.side_data_type === 'Stereo 3D');
  const projection = spherical ? projectionOf(spherical, picture.width) : undefined;
  const layout: StreamLayout = {
    projection: projection ?? auto.projection,
    stereo: (typeof stereo?.type === 'string' && Object.hasOwn(STEREO, stereo.type) ? STEREO[stereo.type] : undefined) ?? auto.stereo,
  };
  const yaw = spherical ? degrees(spherical.yaw, 180) : undefined;
  const pitch = spherical ? degrees(spherical.pitch, 90) : undefined;
  if (projection && ((yaw ?? 0) !== 0 || (pitch ?? 0) !== 0)) layout.view = { yaw: yaw ?? 0, pitch: pitch ?? 0 };
  return layout;
}
