// The listing of a VOD asset's orientation-biased ("viewport") renditions, published beside its main master as
// `<master>.viewport.json`. Each rendition is the whole equirect picture with more bits where one yaw is seen; they
// are listed here and in a master of their own rather than as variants of the main master, because a plain HLS
// player would switch between them by bandwidth alone, blind to where the viewer looks. Pure and browser-safe.
import { besideMaster } from '../beside-master';
import { scError } from '../errors';

export interface ViewportRendition {
  /** Degrees, [0, 360): the direction given the bits (0 = the middle of the picture, positive = right). */
  readonly yaw: number;
  /** The rendition's media playlist, relative to the listing. */
  readonly uri: string;
  /** Peak bits per second of video and audio, as in the viewport master. */
  readonly bandwidth: number;
  readonly width: number;
  readonly height: number;
}

export interface ViewportListing {
  /** The master listing the renditions as variants (for hls.js to load), relative to the listing. */
  readonly master: string;
  /** Degrees of yaw each rendition favours (the 90 degree viewport plus the most a viewer is off, 360/K). */
  readonly band: number;
  readonly renditions: readonly ViewportRendition[];
}

export const VIEWPORT_LISTING_MAX_BYTES = 16 * 1024;
export const VIEWPORT_RENDITIONS_MAX = 36;

export function viewportListingUrl(masterUrl: string): string {
  return besideMaster(masterUrl, 'viewport.json');
}

export function viewportListingJson(listing: ViewportListing): string {
  return JSON.stringify({ viewport: listing });
}

/** A relative URI of a playlist beside or below the listing: no scheme, no `..`, no leading slash. */
const RELATIVE_PLAYLIST = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._~\/-]{1,200}\.m3u8$/i;

/**
 * Parses `<master>.viewport.json`. Bounded and strict: at most VIEWPORT_LISTING_MAX_BYTES, 2 to
 * VIEWPORT_RENDITIONS_MAX renditions with distinct yaws in [0, 360), relative playlist URIs, positive sizes and
 * bandwidths. Refuses with SC_ERR_VIEWPORT_LISTING.
 */
export function parseViewportListing(text: string): ViewportListing {
  if (text.length > VIEWPORT_LISTING_MAX_BYTES || new TextEncoder().encode(text).length > VIEWPORT_LISTING_MAX_BYTES) {
    throw scError('SC_ERR_VIEWPORT_LISTING', `larger than ${VIEWPORT_LISTING_MAX_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw scError('SC_ERR_VIEWPORT_LISTING', `not JSON (${(err as Error).message})`);
  }
  const body = isObject(doc) ? doc.viewport : undefined;
  if (!isObject(body)) throw scError('SC_ERR_VIEWPORT_LISTING', 'expected {"viewport":{...}}');
  const { master, band, renditions } = body;
  if (typeof master !== 'string' || !RELATIVE_PLAYLIST.test(master)) throw scError('SC_ERR_VIEWPORT_LISTING', 'viewport.master must be a relative .m3u8 URI');
  if (typeof band !== 'number' || !(band > 0 && band <= 360)) throw scError('SC_ERR_VIEWPORT_LISTING', 'viewport.band must be degrees in (0, 360]');
  if (!Array.isArray(renditions) || renditions.length < 2 || renditions.length > VIEWPORT_RENDITIONS_MAX) {
    throw scError('SC_ERR_VIEWPORT_LISTING', `viewport.renditions must list 2 to ${VIEWPORT_RENDITIONS_MAX} renditions`);
  }
  const yaws = new Set<number>();
  const list = renditions.map((r, i): ViewportRendition => {
    const where = `viewport.renditions[${i}]`;
    if (!isObject(r)) throw scError('SC_ERR_VIEWPORT_LISTING', `${where} must be an object`);
    const { yaw, uri, bandwidth, width, height } = r;
    if (typeof yaw !== 'number' || !(yaw >= 0 && yaw < 360)) throw scError('SC_ERR_VIEWPORT_LISTING', `${where}.yaw must be degrees in [0, 360)`);
    if (yaws.has(yaw)) throw scError('SC_ERR_VIEWPORT_LISTING', `${where}.yaw ${yaw} is listed twice`);
    yaws.add(yaw);
    if (typeof uri !== 'string' || !RELATIVE_PLAYLIST.test(uri)) throw scError('SC_ERR_VIEWPORT_LISTING', `${where}.uri must be a relative .m3u8 URI`);
    for (const [name, v] of [['bandwidth', bandwidth], ['width', width], ['height', height]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > 1e10) throw scError('SC_ERR_VIEWPORT_LISTING', `${where}.${name} must be a positive integer`);
    }
    return { yaw, uri, bandwidth: bandwidth as number, width: width as number, height: height as number };
  });
  return { master, band, renditions: list };
}

/** Degrees between two yaws, 0..180. */
export function yawDistance(a: number, b: number): number {
  const d = (((a - b) % 360) + 360) % 360;
  return d > 180 ? 360 - d : d;
}

/**
 * The rendition for a viewer looking at `yaw` (degrees, positive = right of the picture's middle): the one whose
 * yaw is nearest. `current` (an index) is kept unless another is nearer by more than `hysteresis` degrees, so a
 * viewer looking about half way between two renditions does not make the player switch back and forth. Pure.
 */
export function chooseViewportRendition(renditions: readonly { yaw: number }[], yaw: number, current?: number, hysteresis = 0): number {
  let best = 0;
  for (let i = 1; i < renditions.length; i++) {
    if (yawDistance(renditions[i].yaw, yaw) < yawDistance(renditions[best].yaw, yaw)) best = i;
  }
  if (current === undefined || current < 0 || current >= renditions.length || current === best) return best;
  return yawDistance(renditions[current].yaw, yaw) - yawDistance(renditions[best].yaw, yaw) > hysteresis ? best : current;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
