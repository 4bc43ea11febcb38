/**
 * A bounded ISO-BMFF (ISO/IEC 14496-12 4.2) box walker for bytes we did not write ourselves (ffmpeg's init
 * segments, recordings): every size is checked against the bytes present and the enclosing box, and the number
 * of boxes looked at is capped, so a hostile file costs at most MAX_BOXES steps and no allocation.
 */
export interface BoxSpan {
  readonly type: string;
  /** Offset of the box's first byte in the buffer. */
  readonly start: number;
  /** Offset of the payload (after size, type and any 64-bit size). */
  readonly payload: number;
  /** Offset just past the box. */
  readonly end: number;
}

/** Far more boxes than any init segment or moov holds at one level. */
export const MAX_BOXES = 4096;

/** Pure: the boxes laid end to end in `buf[from, to)`. Throws on a size that does not fit. */
export function readBoxes(buf: Buffer, from = 0, to = buf.length): BoxSpan[] {
  if (from < 0 || to > buf.length || from > to) throw new Error(`box range ${from}..${to} is outside ${buf.length} bytes`);
  const out: BoxSpan[] = [];
  let p = from;
  while (p < to) {
    if (out.length >= MAX_BOXES) throw new Error(`more than ${MAX_BOXES} boxes at offset ${from}`);
    if (to - p < 8) throw new Error(`${to - p} stray bytes at offset ${p}`);
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (to - p < 16) throw new Error(`box ${JSON.stringify(type)} at ${p} has no room for its 64-bit size`);
      const large = buf.readBigUInt64BE(p + 8);
      if (large > BigInt(to - p)) throw new Error(`box ${JSON.stringify(type)} at ${p} claims ${large} bytes, ${to - p} left`);
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      // Size 0: the box runs to the end of its container.
      size = to - p;
    }
    if (size < header || size > to - p) throw new Error(`box ${JSON.stringify(type)} at ${p} claims ${size} bytes, ${to - p} left`);
    out.push({ type, start: p, payload: p + header, end: p + size });
    p += size;
  }
  return out;
}

/** Pure: the first child of type `type` among the boxes in `buf[from, to)`, or undefined. */
export function findBox(buf: Buffer, type: string, from = 0, to = buf.length): BoxSpan | undefined {
  return readBoxes(buf, from, to).find((b) => b.type === type);
}
