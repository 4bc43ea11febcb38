import { box, fourcc, fullBox, u16, u32, UNITY_MATRIX, zeros } from '../../shared/mp4/mp4-box';

/** One track of a fragmented MP4, as the init segment declares it. */
export interface InitTrack {
  readonly id: number;
  readonly kind: 'video' | 'audio';
  /** Ticks per second of this track's sample times. */
  readonly timescale: number;
  /** The complete sample entry (see sample-entry.ts). */
  readonly sampleEntry: Buffer;
  /** Pixels, for tkhd (video only). */
  readonly width?: number;
  readonly height?: number;
}

const LANGUAGE_UND = 0x55c4; // ISO-639-2 "und", packed as three 5-bit letters

function trak(t: InitTrack): Buffer {
  const video = t.kind === 'video';
  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003, // enabled, in movie
    u32(0),
    u32(0),
    u32(t.id),
    u32(0),
    u32(0), // duration: unknown in a fragmented file
    zeros(8),
    u16(0), // layer
    u16(0), // alternate_group
    u16(video ? 0 : 0x0100), // volume
    u16(0),
    UNITY_MATRIX,
    u32((t.width ?? 0) * 65536),
    u32((t.height ?? 0) * 65536),
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(t.timescale), u32(0), u16(LANGUAGE_UND), u16(0));
  const handlerName = Buffer.from(video ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1');
  const hdlr = fullBox('hdlr', 0, 0, u32(0), fourcc(video ? 'vide' : 'soun'), zeros(12), handlerName);
  const mediaHeader = video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  // Samples live in the fragments: the sample tables are present but empty (ISO/IEC 14496-12 8.8.1).
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), t.sampleEntry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', mediaHeader, dinf, stbl)));
}

/**
 * Pure: the initialization segment (ftyp + moov with mvex) of a fragmented MP4 (CMAF-style,
 * ISO/IEC 23000-19), written once per codec configuration.
 */
export function writeInitSegment(tracks: readonly InitTrack[]): Buffer {
  if (!tracks.length) throw new Error('an init segment needs at least one track');
  const ftyp = box('ftyp', fourcc('iso6'), u32(0), fourcc('iso6'), fourcc('iso5'), fourcc('mp41'), fourcc('cmfc'));
  const nextTrackId = Math.max(...tracks.map((t) => t.id)) + 1;
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0),
    u32(0),
    u32(1000),
    u32(0),
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10),
    UNITY_MATRIX,
    zeros(24),
    u32(nextTrackId),
  );
  const trex = tracks.map((t) => fullBox('trex', 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0)));
  return Buffer.concat([ftyp, box('moov', mvhd, ...tracks.map(trak), box('mvex', ...trex))]);
}
