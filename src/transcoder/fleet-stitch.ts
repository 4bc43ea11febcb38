import { SpherecastError } from '../shared/errors';
import type { MediaPlaylist } from '../shared/hls-playlist';
import { stitchedSegmentName, vodPlaylist } from './hls-stitch';
import { bandwidthOf, type MeasuredRendition } from './rendition-measure';

/**
 * What one fleet task (a video chunk, or the audio) leaves in the store once all its segments are
 * there, and how the stitch turns those results into media playlists and measured renditions. Pure.
 */
export interface ResultSegment {
  /** File name inside the rendition's folder (`seg_00042.m4s`): numbered across the whole asset. */
  readonly uri: string;
  readonly duration: number;
  readonly bytes: number;
}

export interface ResultRendition {
  readonly name: string;
  readonly kind: 'video' | 'audio';
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  readonly channels?: number;
  /** fMP4: the init segment's file name in the rendition's folder (initSegmentName). */
  readonly init?: string;
  readonly segments: readonly ResultSegment[];
}

export interface TaskResult {
  readonly job: string;
  readonly renditions: readonly ResultRendition[];
  /** audio only: the poster's file name beside the master, when one was made. */
  readonly poster?: string;
}

/** A result is read back from the store: bounded before it is parsed, checked after. */
export const MAX_RESULT_BYTES = 8 * 1024 * 1024;
const MAX_RENDITIONS = 64;
/** A 24-hour source in 1-second segments. */
const MAX_SEGMENTS = 86_400;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parses a result the fleet wrote; SC_ERR_TRANSCODE when it is not one (a store is not a place to trust blindly either). */
export function parseTaskResult(text: string, job: string): TaskResult {
  const bad = (why: string): SpherecastError => new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${job}`, `bad task result: ${why}`]);
  if (Buffer.byteLength(text, 'utf8') > MAX_RESULT_BYTES) throw bad(`over ${MAX_RESULT_BYTES} bytes`);
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || doc.job !== job) throw bad('not a result of this job');
  if (!Array.isArray(doc.renditions) || doc.renditions.length === 0 || doc.renditions.length > MAX_RENDITIONS) throw bad('renditions');
  const num = (v: unknown, what: string, min = 0): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw bad(what);
    return v;
  };
  const optNum = (v: unknown, what: string): number | undefined => (v === undefined ? undefined : num(v, what));
  const name = (v: unknown, what: string): string => {
    if (typeof v !== 'string' || !FILE_NAME.test(v)) throw bad(what);
    return v;
  };
  const renditions: ResultRendition[] = doc.renditions.map((r: any, i: number): ResultRendition => {
    if (typeof r !== 'object' || r === null) throw bad(`rendition ${i}`);
    if (r.kind !== 'video' && r.kind !== 'audio') throw bad(`rendition ${i} kind`);
    if (typeof r.codec !== 'string' || !/^[A-Za-z0-9.]{1,64}$/.test(r.codec)) throw bad(`rendition ${i} codec`);
    // Empty only for a last chunk that starts after the last frame.
    if (!Array.isArray(r.segments) || r.segments.length > MAX_SEGMENTS) throw bad(`rendition ${i} segments`);
    return {
      name: name(r.name, `rendition ${i} name`),
      kind: r.kind,
      codec: r.codec,
      width: optNum(r.width, `rendition ${i} width`),
      height: optNum(r.height, `rendition ${i} height`),
      frameRate: optNum(r.frameRate, `rendition ${i} frameRate`),
      channels: optNum(r.channels, `rendition ${i} channels`),
      init: r.init === undefined ? undefined : name(r.init, `rendition ${i} init`),
      segments: r.segments.map((s: any, j: number) => ({
        uri: name(s?.uri, `rendition ${i} segment ${j} uri`),
        duration: num(s?.duration, `rendition ${i} segment ${j} duration`),
        bytes: num(s?.bytes, `rendition ${i} segment ${j} bytes`),
      })),
    };
  });
  return { job, renditions, ...(doc.poster !== undefined ? { poster: name(doc.poster, 'poster') } : {}) };
}

/** Rendition `name` of each result, in order; SC_ERR_TRANSCODE naming the result that lacks it. */
function partsOf(results: readonly TaskResult[], name: string): ResultRendition[] {
  return results.map((r, i) => {
    const found = r.renditions.find((x) => x.name === name);
    if (!found) throw new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${r.job}`, `result ${i} has no rendition ${name}`]);
    return found;
  });
}

/**
 * One rendition's VOD playlist from the results that hold it, in chunk order. Each chunk's segments
 * carry their asset-wide numbers, so the stitch checks they follow one another with no gap or
 * overlap (seg_00000, seg_00001, ... across chunks) rather than renaming anything: the segments
 * are already where the playlist says. An init segment is listed again only where it changes.
 */
export function fleetRenditionPlaylist(results: readonly TaskResult[], name: string): MediaPlaylist {
  const parts = partsOf(results, name);
  const fmp4 = parts[0].init !== undefined;
  const segments: Array<{ uri: string; duration: number; map?: string }> = [];
  if (parts[0].segments.length === 0) throw new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${results[0].job}`, `${name}: the first chunk has no segments`]);
  parts.forEach((p, i) => {
    if (p.segments.length === 0) return;
    if ((p.init !== undefined) !== fmp4) throw new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${results[i].job}`, `${name}: init segments in some chunks only`]);
    for (const s of p.segments) {
      const dot = s.uri.lastIndexOf('.');
      const expected = stitchedSegmentName(segments.length, dot > 0 ? s.uri.slice(dot) : '.ts');
      if (s.uri !== expected) {
        throw new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${results[i].job}`, `${name}: chunk ${i} has ${s.uri} where ${expected} follows`]);
      }
      segments.push({ uri: s.uri, duration: s.duration, ...(p.init !== undefined ? { map: p.init } : {}) });
    }
  });
  return vodPlaylist(segments);
}

/** The whole rendition measured from its parts: bit rates over every segment, the picture from the first part. */
export function fleetMeasuredRendition(results: readonly TaskResult[], name: string, playlist: MediaPlaylist): MeasuredRendition {
  const parts = partsOf(results, name);
  const all = parts.flatMap((p) => p.segments);
  const { peak, average } = bandwidthOf(all, playlist.targetDuration);
  const first = parts[0];
  return {
    name,
    kind: first.kind,
    codec: first.codec,
    peakBandwidth: peak,
    averageBandwidth: average,
    duration: all.reduce((n, s) => n + s.duration, 0),
    segments: all.length,
    ...(first.width !== undefined ? { width: first.width } : {}),
    ...(first.height !== undefined ? { height: first.height } : {}),
    ...(first.frameRate !== undefined ? { frameRate: first.frameRate } : {}),
    ...(first.channels !== undefined ? { channels: first.channels } : {}),
  };
}

/**
 * What a stitch delivery does, from what the store holds:
 * - `nothing`: the job is done, or another stitch created `published` and is publishing (this
 *   message is a duplicate, from two chunks finishing at once): acknowledge;
 * - `incomplete`: a result is missing (a forged or early stitch message): fail; it is retried;
 * - `claim`: try to create `published` (write-once), then ask again with the outcome;
 * - `publish`: this delivery created `published`, or found it and is a redelivery (possibly the
 *   publisher that died before `done`; what it writes is the same bytes): write the playlists,
 *   the master, the card, send the notice, then `done`.
 */
export type StitchAction = 'nothing' | 'incomplete' | 'claim' | 'publish';

export function stitchAction(s: { done: boolean; missing: number; published?: 'created' | 'existed'; redelivered: boolean }): StitchAction {
  if (s.done) return 'nothing';
  if (s.missing > 0) return 'incomplete';
  if (s.published === undefined) return 'claim';
  if (s.published === 'created') return 'publish';
  return s.redelivered ? 'publish' : 'nothing';
}
