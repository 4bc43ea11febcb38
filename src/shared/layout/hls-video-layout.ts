// REQ-VIDEO-LAYOUT (HLS 2nd edition, draft-pantos-hls-rfc8216bis 4.4.6.2): the layout a client must be able to render
// to play a variant, for Apple Vision Pro and other clients of protocol version 12. Pure and browser-safe.
import type { StreamLayout } from './stream-layout';

/** A Multivariant Playlist with a REQ- attribute declares this protocol version (rfc8216bis section 8). */
export const VIDEO_LAYOUT_VERSION = 12;

/**
 * The quoted value of REQ-VIDEO-LAYOUT for a layout, or undefined when none should be written:
 *  - channel: CH-STEREO for top-bottom or side-by-side, CH-MONO otherwise;
 *  - projection: PROJ-EQUI (360) and PROJ-HEQU (180); PROJ-RECT is the default and is left out.
 * The draft defines no specifier for cubemap or EAC (PROJ-PRIM is Apple's parametric fisheye), and a client MUST skip
 * a variant with an unknown one, so those carry only their channel specifier. A mono rectilinear variant gets no
 * attribute at all: the draft says it SHOULD NOT be present, so clients that do not know REQ- still play it.
 */
export function reqVideoLayout(layout: StreamLayout): string | undefined {
  const stereo = layout.stereo !== 'mono';
  const projection = layout.projection === 'equirect' ? 'PROJ-EQUI' : layout.projection === 'equirect180' ? 'PROJ-HEQU' : undefined;
  if (!stereo && !projection) return undefined;
  return [stereo ? 'CH-STEREO' : 'CH-MONO', ...(projection ? [projection] : [])].join('/');
}
