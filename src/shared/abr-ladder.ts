/**
 * ABR ladder rungs as operators write them (boxes and bitrates), shared by the transcoder's VOD
 * ladder (LADDER) and the origin's live ladder (LIVE_LADDER): the types, the parser and how a box
 * is fitted to a source's aspect. Pure.
 */
export interface VideoRung {
  /** Bounding box: a rendition fits inside it with the source's aspect ratio kept. */
  readonly width: number;
  readonly height: number;
  /** Target video bitrate in bits per second. */
  readonly bitrate: number;
}

/** One rendition as an encoder makes it: its size and x264's rate control. */
export interface EncodedRendition {
  /** Folder name of the rendition, unique within a plan (e.g. `360p`, `cube-960p`). */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly bitrate: number;
  /** Rate-control ceiling and VBV buffer (x264 -maxrate / -bufsize). */
  readonly maxrate: number;
  readonly bufsize: number;
}

export interface Ladder {
  /** Ascending by box size. */
  readonly video: readonly VideoRung[];
  /** AAC bitrate of the one audio rendition (also listed as the audio-only variant). */
  readonly audioBitrate: number;
}


/** The nearest even size, at least 2 (encoders want even sides for 4:2:0). */
export function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

/**
 * Largest size with the source's aspect that fits in `box`, both sides even. Of the even sizes
 * around the exact fit (never beyond it), the largest within 0.3% of the source aspect wins, an
 * exact-aspect size that is nearly as large winning over it; so a 2:1
 * source gets exactly 2:1 (426-wide box: 424x212) and 16:9 gets the usual 426x240.
 */
export function fitToBox(source: { width: number; height: number }, box: { width: number; height: number }): { width: number; height: number } {
  const aspect = source.width / source.height;
  const scale = Math.min(box.width / source.width, box.height / source.height);
  const floorEven = (n: number): number => Math.max(2, 2 * Math.floor(n / 2));
  const h0 = floorEven(source.height * scale);
  const w0 = floorEven(source.width * scale);
  const ceilEven = (n: number): number => 2 * Math.ceil(n / 2 - 1e-9);
  const maxW = Math.min(box.width, ceilEven(source.width * scale));
  const maxH = Math.min(box.height, ceilEven(source.height * scale));
  const candidates: Array<{ width: number; height: number; err: number; area: number }> = [];
  for (const height of [h0, h0 + 2, h0 - 2]) {
    for (const width of [w0, w0 + 2, even(height * aspect)]) {
      if (height < 2 || width < 2 || width > maxW || height > maxH) continue;
      candidates.push({ width, height, err: Math.abs(width / height - aspect) / aspect, area: width * height });
    }
  }
  if (candidates.length === 0) return { width: w0, height: h0 };
  const biggest = (list: typeof candidates) => list.reduce((a, b) => (b.area > a.area ? b : a));
  const closest = candidates.reduce((a, b) => (b.err < a.err ? b : a));
  // Within 0.3% of the aspect the bigger size wins, unless an exact-aspect size is nearly as big.
  const close = candidates.filter((c) => c.err <= 0.003);
  const exact = candidates.filter((c) => c.err < 1e-6);
  let best = close.length > 0 ? biggest(close) : closest;
  if (exact.length > 0 && biggest(exact).area >= 0.98 * best.area) best = biggest(exact);
  return { width: best.width, height: best.height };
}


/** "110k", "2.5M", "64000" or a number -> bits per second. */
export function parseBitrate(raw: unknown): number {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return Math.round(raw);
  const m = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(raw) : null;
  if (!m) throw new Error(`bitrate ${JSON.stringify(raw)} is not like "500k", "2.5M" or 500000`);
  const n = Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1000 : m[2].toLowerCase() === 'm' ? 1_000_000 : 1);
  if (!(n >= 1000)) throw new Error(`bitrate ${JSON.stringify(raw)} is below 1k`);
  return Math.round(n);
}

/**
 * Validates ladder entries: `{"width":640,"height":360,"bitrate":"500k"}` video rungs, and an
 * `{"audio":"64k"}` entry where `audio` is 'one' (exactly one) or refused where it is 'none'.
 */
function parseEntries(value: unknown, audioRule: 'one' | 'none'): { video: VideoRung[]; audio?: number } {
  const shape = audioRule === 'one' ? '{"width","height","bitrate"} rungs and one {"audio": "64k"}' : '{"width","height","bitrate"} rungs';
  if (!Array.isArray(value)) throw new Error(`must be a JSON array of ${shape}`);
  const video: VideoRung[] = [];
  let audio: number | undefined;
  value.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${where} is not an object`);
    const e = entry as Record<string, unknown>;
    if ('audio' in e) {
      if (audioRule === 'none') throw new Error(`${where}: no audio entry here (the source's audio is carried unchanged)`);
      if (audio !== undefined) throw new Error(`${where}: only one audio entry is allowed`);
      try {
        audio = parseBitrate(e.audio);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
      return;
    }
    for (const k of ['width', 'height'] as const) {
      const v = e[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 16 || v > 8192) {
        throw new Error(`${where}: ${k} must be a whole number of pixels between 16 and 8192, got ${JSON.stringify(v)}`);
      }
    }
    let bitrate: number;
    try {
      bitrate = parseBitrate(e.bitrate);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    video.push({ width: e.width as number, height: e.height as number, bitrate });
  });
  if (video.length === 0) throw new Error('needs at least one video rung');
  return { video, ...(audio !== undefined ? { audio } : {}) };
}

/**
 * Validates a LADDER value: an array of `{"width":640,"height":360,"bitrate":"500k"}` video rungs
 * and exactly one `{"audio":"64k"}` entry (the audio rendition and audio-only variant).
 */
export function parseLadder(value: unknown): Ladder {
  const { video, audio } = parseEntries(value, 'one');
  if (audio === undefined) throw new Error('needs one {"audio": "64k"} entry');
  return Object.freeze({ video: Object.freeze(video), audioBitrate: audio });
}

/** Validates a ladder of video rungs only (LIVE_LADDER: renditions carry the source's audio). */
export function parseVideoRungs(value: unknown): readonly VideoRung[] {
  return Object.freeze(parseEntries(value, 'none').video);
}

/** x264's presets, for the settings that pick one. */
export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;
