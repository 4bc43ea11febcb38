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

/**
 * The default for 2:1 (360) sources. A viewer looking through a 90 degree viewport sees a quarter of the frame's
 * width, so each rung is chosen by the viewport it fills: 640x320 and 960x480 for poor networks (160/240 px
 * viewports), 1920x960 for a 480 px viewport, 2880x1440 for 720, 3840x1920 for 960 and 5760x2880 for 1440
 * (a phone held sideways). Bitrates are about 0.05 bit per pixel at 30 fps (the equirect poles are oversampled,
 * so a 360 frame needs fewer bits per pixel than a flat one). Sizes above the source are never used.
 */
export const DEFAULT_360_LADDER: Ladder = Object.freeze({
  video: Object.freeze([
    { width: 640, height: 320, bitrate: 400_000 },
    { width: 960, height: 480, bitrate: 700_000 },
    { width: 1280, height: 640, bitrate: 1_200_000 },
    { width: 1920, height: 960, bitrate: 2_800_000 },
    { width: 2880, height: 1440, bitrate: 6_000_000 },
    { width: 3840, height: 1920, bitrate: 10_000_000 },
    { width: 5760, height: 2880, bitrate: 20_000_000 },
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
export type VideoCodec = 'h264' | 'hevc';
export const VIDEO_CODECS: readonly VideoCodec[] = ['h264', 'hevc'];

export interface VideoRendition extends EncodedRendition {
  /** `equirect` is the source's own projection (whatever it is); `cubemap` is v360 3x2 output. */
  readonly projection: Projection;
  readonly codec: VideoCodec;
  /** Viewport renditions only (viewport-renditions.ts): the yaw it favours, degrees, and its addroi filters. */
  readonly viewportYaw?: number;
  readonly roi?: string;
}

/** A rung left out of a plan, and why (for the job log and metrics). */
export interface PrunedRung {
  readonly width: number;
  readonly height: number;
  readonly bitrate: number;
  readonly reason: string;
}

export interface RenditionPlan {
  readonly video: readonly VideoRendition[];
  readonly audio: { readonly name: string; readonly bitrate: number };
  /** Frames per GOP: segment length times the source frame rate, the same for every rendition. */
  readonly gop: number;
  readonly fps: number;
  readonly segmentSeconds: number;
  /** Rungs per-title pruning left out. */
  readonly pruned: readonly PrunedRung[];
}

export interface PlanOptions {
  readonly segmentSeconds: number;
  /** Add a 3x2 cubemap set from a 2:1 equirectangular source. */
  readonly cubemap?: boolean;
  /** Drop a rung whose (capped) bitrate is within this fraction of the next kept rung above it; 0 = keep all. */
  readonly pruneWithin?: number;
  /**
   * Codecs every rung is encoded in (default h264). A rung H.264 cannot carry (above level 4.2) is encoded in
   * HEVC whatever this says.
   */
  readonly codecs?: readonly VideoCodec[];
  /** False when the output cannot carry HEVC (TS segments): every rung is H.264, whatever its size. */
  readonly hevc?: boolean;
}

/** Peak allowance over the target and VBV size, as multiples of the target bitrate. */
const MAXRATE_FACTOR = 1.1;
const BUFSIZE_FACTOR = 2;
/**
 * HEVC reaches H.264's quality with fewer bits (JCT-VC measured 35-50 % at equal quality; x265's fast presets
 * keep less of that), so an HEVC rendition gets this share of its rung's bitrate.
 */
export const HEVC_BITRATE_SHARE = 0.7;

/**
 * H.264 level 4.2 (ITU-T H.264 Table A-1), the highest level Apple devices decode: MaxFS 8,704 macroblocks
 * per frame and MaxMBPS 522,240 per second. 1920x1080 (8,160) fits; 2560x1280 (12,800) and every 4K frame
 * do not.
 */
const H264_MAX_FRAME_MBS = 8704;
const H264_MAX_MBS_PER_SECOND = 522_240;

/** Pure: whether an H.264 stream of this size and rate stays within level 4.2. */
export function fitsH264Level42(width: number, height: number, fps: number): boolean {
  const mbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  // The frame's sides are bounded too: sqrt(8 x MaxFS) macroblocks.
  const side = Math.sqrt(8 * H264_MAX_FRAME_MBS);
  return mbs <= H264_MAX_FRAME_MBS && mbs * fps <= H264_MAX_MBS_PER_SECOND && width / 16 <= side && height / 16 <= side;
}

/**
 * Per-title pruning, pure: `rungs` ascending by picture size, bitrates already capped at the source's. From the
 * top down, a rung is dropped when it has the same picture size as the next kept rung above it, or a bitrate
 * within `within` of that rung's (upper <= lower x (1 + within)): the source holds no more information than
 * the larger picture already carries at about the same bits, so the smaller rung adds a variant no player
 * needs. The top rung is always kept.
 */
export function pruneRungs<T extends { width: number; height: number; bitrate: number }>(rungs: readonly T[], within: number): { kept: T[]; pruned: PrunedRung[] } {
  if (!(within > 0) || rungs.length < 2) return { kept: [...rungs], pruned: [] };
  const kept: T[] = [rungs[rungs.length - 1]];
  const pruned: PrunedRung[] = [];
  for (let i = rungs.length - 2; i >= 0; i--) {
    const r = rungs[i];
    const above = kept[0];
    const size = `${r.width}x${r.height}`;
    if (r.width === above.width && r.height === above.height) {
      pruned.push({ width: r.width, height: r.height, bitrate: r.bitrate, reason: `same picture size as the rung above` });
    } else if (above.bitrate <= r.bitrate * (1 + within)) {
      const pct = Math.round((100 * (above.bitrate - r.bitrate)) / r.bitrate);
      pruned.push({ width: r.width, height: r.height, bitrate: r.bitrate, reason: `${size} at ${Math.round(r.bitrate / 1000)}k is within ${pct} % of ${above.width}x${above.height} at ${Math.round(above.bitrate / 1000)}k` });
    } else {
      kept.unshift(r);
    }
  }
  return { kept, pruned };
}

/** 2:1 within rounding: what an equirectangular 360 frame looks like. */
export function isEquirectangular(source: { width: number; height: number }): boolean {
  return Math.abs(source.width / source.height - 2) < 0.01;
}

/**
 * Renditions for one source: each rung's box fitted to the source aspect (a 2:1 source stays
 * 2:1, no padding), sizes even. A rung whose fitted size would exceed the source becomes one
 * rendition at the source's own size with its bitrate scaled down by the pixel ratio, and no rung
 * above it is used: never upscale. Bitrates above the source's own are capped at it, then rungs that add nothing
 * are pruned (pruneRungs). Each rung is encoded in every codec of `codecs` that can carry it; a rung above
 * H.264 level 4.2 only in HEVC.
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
  const { kept, pruned } = pruneRungs(
    sizes.map((s) => ({ ...s, bitrate: Math.min(s.bitrate, cap) })),
    opts.pruneWithin ?? 0,
  );
  const hevc = opts.hevc ?? true;
  const codecs = hevc && opts.codecs && opts.codecs.length > 0 ? opts.codecs : (['h264'] as const);
  const names = new Set<string>();
  const named = (base: string): string => {
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base}-${i}`;
    names.add(name);
    return name;
  };
  const video: VideoRendition[] = [];
  const renditions = (w: number, h: number, bitrate: number, projection: Projection, label: string): void => {
    const wanted = !hevc || fitsH264Level42(w, h, source.fps) ? codecs : (['hevc'] as const);
    for (const codec of VIDEO_CODECS.filter((c) => wanted.includes(c))) {
      const b = codec === 'hevc' ? Math.round(bitrate * HEVC_BITRATE_SHARE) : bitrate;
      video.push({
        name: named(codec === 'hevc' ? `${label}-hevc` : label),
        width: w,
        height: h,
        bitrate: b,
        maxrate: Math.round(b * MAXRATE_FACTOR),
        bufsize: Math.round(b * BUFSIZE_FACTOR),
        projection,
        codec,
      });
    }
  };
  for (const s of kept) renditions(s.width, s.height, s.bitrate, 'equirect', `${s.height}p`);
  if (opts.cubemap && isEquirectangular(source)) {
    // A 3x2 cubemap of a W-wide equirect frame has faces of W/4: (3W/4) x (W/2).
    for (const s of kept) renditions(even((s.width * 3) / 4), even(s.width / 2), s.bitrate, 'cubemap', `cube-${s.height}p`);
  }
  const fps = source.fps;
  return {
    video,
    audio: { name: named('audio'), bitrate: ladder.audioBitrate },
    gop: Math.max(1, Math.round(opts.segmentSeconds * fps)),
    fps,
    segmentSeconds: opts.segmentSeconds,
    pruned,
  };
}

/** The LADDER value for a ladder (for --help and config files). */
export function ladderToJson(ladder: Ladder): Array<Record<string, unknown>> {
  const k = (b: number): string => (b % 1000 === 0 ? `${b / 1000}k` : String(b));
  return [...ladder.video.map((r) => ({ width: r.width, height: r.height, bitrate: k(r.bitrate) })), { audio: k(ladder.audioBitrate) }];
}
