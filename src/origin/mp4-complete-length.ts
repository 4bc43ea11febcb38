import { open } from 'node:fs/promises';

/** What of an MP4 file is whole: where its last complete top-level box ends, and its media boxes. */
export interface Mp4Extent {
  /** Bytes up to the end of the last complete top-level box (a `moof` counts only with its `mdat`). */
  readonly length: number;
  /** Complete `mdat` boxes in that length (a fragmented file: one per fragment). */
  readonly mdats: number;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/** Header bytes read per call: many small fragments' headers arrive in one read. */
const WINDOW = 64 * 1024;

/**
 * How much of an MP4 of `size` bytes is whole, from its top-level box headers only (the boxes'
 * insides are not read). A crash while a fragmented recording was being appended leaves a torn
 * last fragment, or after a power loss a zero-filled tail; the file is whole up to the box before.
 * A box that is not whole, a size below 8 (including 0, "to the end of file", which a recording
 * never writes) or a type that is not four printable characters ends the walk. At most
 * size / 8 headers are visited, reading WINDOW bytes at a time.
 */
export async function mp4CompleteLength(size: number, readAt: ReadAt): Promise<Mp4Extent> {
  let length = 0;
  let mdats = 0;
  let pos = 0;
  let buf: Buffer = Buffer.alloc(0);
  let bufAt = 0;
  while (pos + 8 <= size) {
    if (pos < bufAt || pos + 16 > bufAt + buf.length) {
      buf = await readAt(pos, Math.min(WINDOW, size - pos));
      bufAt = pos;
      if (buf.length < 8) break;
    }
    const h = pos - bufAt;
    let boxSize = buf.readUInt32BE(h);
    const type = buf.toString('latin1', h + 4, h + 8);
    if (!/^[\x20-\x7e]{4}$/.test(type)) break;
    if (boxSize === 1) {
      if (h + 16 > buf.length) break;
      boxSize = Number(buf.readBigUInt64BE(h + 8));
      if (boxSize < 16) break;
    } else if (boxSize < 8) break;
    if (pos + boxSize > size) break;
    pos += boxSize;
    if (type === 'mdat') mdats++;
    // A moof without its mdat is no fragment: the file ends before it until the mdat is whole.
    if (type !== 'moof') length = pos;
  }
  return { length, mdats };
}

/** mp4CompleteLength of a file on disk. */
export async function fileCompleteLength(path: string): Promise<Mp4Extent & { size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const extent = await mp4CompleteLength(size, async (offset, length) => {
      const b = Buffer.alloc(length);
      const { bytesRead } = await fh.read(b, 0, length, offset);
      return b.subarray(0, bytesRead);
    });
    return { ...extent, size };
  } finally {
    await fh.close();
  }
}
