import { box, fullBox, u32, u64 } from '../../shared/mp4/mp4-box';

/** One access unit (video: length-prefixed NAL units as FLV carries them; audio: a raw AAC frame). */
export interface FragmentSample {
  /** Ticks of the track's timescale until the next sample. */
  readonly duration: number;
  /** Presentation minus decode time, in ticks (may be negative). */
  readonly compositionOffset: number;
  readonly sync: boolean;
  readonly data: Buffer;
}

export interface FragmentTrack {
  readonly id: number;
  /** Decode time of the first sample, in the track's timescale (tfdt). */
  readonly baseDecodeTime: number;
  readonly samples: readonly FragmentSample[];
}

/** ISO/IEC 14496-12 8.8.3.1 sample flags: sync samples depend on nothing, others are non-sync. */
const SYNC_FLAGS = 0x02000000;
const NON_SYNC_FLAGS = 0x01010000;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
// data-offset, sample-duration, sample-size, sample-flags, sample-composition-time-offset
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
const TRAF_FIXED_BYTES = 8 + 16 + 20 + 20; // traf header, tfhd, tfdt v1, trun header + count + offset
const TRUN_SAMPLE_BYTES = 16;

function traf(t: FragmentTrack, dataOffset: number): Buffer {
  const samples = Buffer.allocUnsafe(t.samples.length * TRUN_SAMPLE_BYTES);
  let p = 0;
  for (const s of t.samples) {
    samples.writeUInt32BE(s.duration >>> 0, p);
    samples.writeUInt32BE(s.data.length, p + 4);
    samples.writeUInt32BE(s.sync ? SYNC_FLAGS : NON_SYNC_FLAGS, p + 8);
    samples.writeInt32BE(s.compositionOffset | 0, p + 12);
    p += TRUN_SAMPLE_BYTES;
  }
  const offset = Buffer.allocUnsafe(4);
  offset.writeInt32BE(dataOffset, 0);
  return box(
    'traf',
    fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF, u32(t.id)),
    fullBox('tfdt', 1, 0, u64(t.baseDecodeTime)),
    // Version 1: signed composition offsets, so B-frames need no edit list.
    fullBox('trun', 1, TRUN_FLAGS, u32(t.samples.length), offset, samples),
  );
}

/**
 * Pure: one movie fragment (moof + mdat) holding the given samples of each track, each track's
 * data contiguous in the mdat in track order. Tracks without samples are left out. An LL-HLS
 * part and a whole segment are both made of these. `alloc` gives the fragment's memory, exactly
 * `size` bytes (by default its own buffer; see SegmentArena).
 */
export function writeFragment(sequence: number, tracks: readonly FragmentTrack[], alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const present = tracks.filter((t) => t.samples.length > 0);
  if (!present.length) throw new Error('a fragment needs at least one sample');
  const moofSize = 8 + 16 + present.reduce((n, t) => n + TRAF_FIXED_BYTES + t.samples.length * TRUN_SAMPLE_BYTES, 0);
  let dataOffset = moofSize + 8;
  const trafs: Buffer[] = [];
  for (const t of present) {
    trafs.push(traf(t, dataOffset));
    for (const s of t.samples) dataOffset += s.data.length;
  }
  const moof = box('moof', fullBox('mfhd', 0, 0, u32(sequence)), ...trafs);
  if (moof.length !== moofSize) throw new Error(`moof is ${moof.length} bytes, expected ${moofSize}`);
  // The samples are copied once, straight into the fragment (they are most of its bytes).
  const out = alloc(dataOffset);
  moof.copy(out, 0);
  out.writeUInt32BE(dataOffset - moofSize, moofSize);
  out.write('mdat', moofSize + 4, 'latin1');
  let p = moofSize + 8;
  for (const t of present) {
    for (const s of t.samples) {
      // TypedArray#set is a plain memcpy; Buffer#copy goes through more checks per call.
      out.set(s.data, p);
      p += s.data.length;
    }
  }
  return out;
}
