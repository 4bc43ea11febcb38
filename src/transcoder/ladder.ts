/**
 * The ABR ladder: what the operator configured (boxes and bitrates) and what one source gets
 * (renditions fitted to the source's aspect, never larger than the source). Pure. The rung types,
 * their parser and the box fitting are shared with the origin's live ladder (src/shared/abr-ladder.ts).
 */
import { even, fitToBox, type EncodedRendition, type Ladder } from '../shared/abr-ladder';

export { fitToBox, parseBitrate, parseLadder, type Ladder, type VideoRung } from '../shared/abr-ladder';

/** The reference workshop's ladder: 16:9 boxes from 180p to 2160p, AAC 64k. */
export const DEFAULT_LADDER: Ladder = Object.freeze({
  video: Object.freeze([
    { width: 320, height: 180, bitrate: 110_000 },
    { width: 426, height: 240, bitrate: 250_000 },
    { width: 640, height: 360, bitrate: 500_000 },
    { width: 854, height: 480, bitrate: 1_080_000 },
    { width: 1280, height: 720, bitrate: 2_136_000 },
    { width: 1920, height: 1080, bitrate: 3_980_000 },
    { width: 2560, height: 1440, bitrate: 7_952_000 },
    { width: 3840, height: 2160, bitrate: 16_450_000 },
  ]),
  audioBitrate: 64_000,
});

export interface SourceVideo {
  readonly width: number;
  readonly height: number;
  /** Frames per second (may be fractional, e.g. 29.97). */
  readonly fps: number;
  /** Video bitrate in bits per second when known. */
  readonly bitrate?: number;
}

export type Projection = 'equirect' | 'cubemap';

export interface VideoRendition extends EncodedRendition {
  /** `equirect` is the source's own projection (whatever it is); `cubemap` is v360 3x2 output. */
  readonly projection: Projection;
}

export interface RenditionPlan {
  readonly video: readonly VideoRendition[];
  readonly audio: { readonly name: string; readonly bitrate: number };
  /** Frames per GOP: segment length times the source frame rate, the same for every rendition. */
  readonly gop: number;
  readonly fps: number;
  readonly segmentSeconds: number;
}

export interface PlanOptions {
  readonly segmentSeconds: number;
  /** Add a 3x2 cubemap set from a 2:1 equirectangular source. */
  readonly cubemap?: boolean;
}

/** Peak allowance over the target and VBV size, as multiples of the target bitrate. */
const MAXRATE_FACTOR = 1.1;
const BUFSIZE_FACTOR = 2;

/** 2:1 within rounding: what an equirectangular 360 frame looks like. */
export function isEquirectangular(source: { width: number; height: number }): boolean {
  return Math.abs(source.width / source.height - 2) < 0.01;
}

/**
 * Renditions for one source: each rung's box fitted to the source aspect (a 2:1 source stays
 * 2:1, no padding), sizes even. A rung whose fitted size would exceed the source becomes one
 * rendition at the source's own size with its bitrate scaled down by the pixel ratio, and no rung
 * above it is used: never upscale. Bitrates above the source's own are capped at it.
 */
export function planRenditions(source: SourceVideo, ladder: Ladder, opts: PlanOptions): RenditionPlan {
  if (!(source.width > 0 && source.height > 0)) throw new Error(`source size ${source.width}x${source.height} is not usable`);
  if (!(source.fps > 0)) throw new Error(`source frame rate ${source.fps} is not usable`);
  if (ladder.video.length === 0) throw new Error('the ladder has no video rungs');
  const sourceEven = { width: even(Math.floor(source.width / 2) * 2), height: even(Math.floor(source.height / 2) * 2) };
  const sizes: Array<{ width: number; height: number; bitrate: number }> = [];
  const rungs = [...ladder.video].sort((a, b) => a.width * a.height - b.width * b.height);
  for (const rung of rungs) {
    const fitted = fitToBox(source, rung);
    if (fitted.width <= sourceEven.width && fitted.height <= sourceEven.height) {
      sizes.push({ ...fitted, bitrate: rung.bitrate });
      continue;
    }
    // The first rung beyond the source: encode at the source size, at a proportional bitrate.
    const ratio = (sourceEven.width * sourceEven.height) / (fitted.width * fitted.height);
    const last = sizes[sizes.length - 1];
    if (!last || last.width < sourceEven.width || last.height < sourceEven.height) {
      sizes.push({ ...sourceEven, bitrate: Math.max(Math.round(rung.bitrate * ratio), last ? last.bitrate : 0) });
    }
    break;
  }
  const cap = source.bitrate && source.bitrate > 0 ? source.bitrate : Infinity;
  const names = new Set<string>();
  const named = (base: string): string => {
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base}-${i}`;
    names.add(name);
    return name;
  };
  const rendition = (w: number, h: number, bitrate: number, projection: Projection, label: string): VideoRendition => {
    const b = Math.min(bitrate, cap);
    return {
      name: named(label),
      width: w,
      height: h,
      bitrate: b,
      maxrate: Math.round(b * MAXRATE_FACTOR),
      bufsize: Math.round(b * BUFSIZE_FACTOR),
      projection,
    };
  };
  const video = sizes.map((s) => rendition(s.width, s.height, s.bitrate, 'equirect', `${s.height}p`));
  if (opts.cubemap && isEquirectangular(source)) {
    // A 3x2 cubemap of a W-wide equirect frame has faces of W/4: (3W/4) x (W/2).
    for (const s of sizes) video.push(rendition(even((s.width * 3) / 4), even(s.width / 2), s.bitrate, 'cubemap', `cube-${s.height}p`));
  }
  const fps = source.fps;
  return {
    video,
    audio: { name: named('audio'), bitrate: ladder.audioBitrate },
    gop: Math.max(1, Math.round(opts.segmentSeconds * fps)),
    fps,
    segmentSeconds: opts.segmentSeconds,
  };
}

/** The LADDER value for a ladder (for --help and config files). */
export function ladderToJson(ladder: Ladder): Array<Record<string, unknown>> {
  const k = (b: number): string => (b % 1000 === 0 ? `${b / 1000}k` : String(b));
  return [...ladder.video.map((r) => ({ width: r.width, height: r.height, bitrate: k(r.bitrate) })), { audio: k(ladder.audioBitrate) }];
}
