import { readBoxes, type BoxSpan } from './box-reader';

/**
 * Adds boxes to the visual sample entries of an init segment or MP4 written by someone else (ffmpeg 5.1 drops
 * `st3d`/`sv3d` from its HLS and DASH output): the sample entry gets the boxes at its end, any of the same types
 * it had are replaced, and every box around it (stsd, stbl, minf, mdia, trak, moov) is rewritten with its new
 * size. Meant for fragmented files: a moov that grows moves whatever follows it, so a file whose chunk offsets
 * (stco/co64) point past the moov is refused rather than corrupted.
 */

/** Sample entry types whose payload starts with the 78-byte VisualSampleEntry fields (14496-12 12.1.3). */
const VISUAL_ENTRIES = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'av01', 'vp09']);
const VISUAL_ENTRY_FIELDS = 78;
/** stsd is a FullBox (4 bytes) with a 32-bit entry_count before its entries. */
const STSD_FIELDS = 8;
const PATH = ['trak', 'mdia', 'minf', 'stbl', 'stsd'] as const;

function header(type: string, payloadLength: number): Buffer {
  const size = 8 + payloadLength;
  if (size > 0xffffffff) throw new Error(`box ${type} would be ${size} bytes`);
  const h = Buffer.allocUnsafe(8);
  h.writeUInt32BE(size, 0);
  h.write(type, 4, 'latin1');
  return h;
}

function rebuilt(buf: Buffer, b: BoxSpan, payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([header(b.type, body.length), body]);
}

function visualEntry(buf: Buffer, entry: BoxSpan, extra: readonly Buffer[], replaced: ReadonlySet<string>): Buffer {
  const fieldsEnd = entry.payload + VISUAL_ENTRY_FIELDS;
  if (fieldsEnd > entry.end) throw new Error(`sample entry ${entry.type} is too short`);
  const kept = readBoxes(buf, fieldsEnd, entry.end).filter((c) => !replaced.has(c.type)).map((c) => buf.subarray(c.start, c.end));
  return rebuilt(buf, entry, [buf.subarray(entry.payload, fieldsEnd), ...kept, ...extra]);
}

function walk(buf: Buffer, from: number, to: number, depth: number, extra: readonly Buffer[], replaced: ReadonlySet<string>, hits: { n: number }): Buffer[] {
  return readBoxes(buf, from, to).map((b) => {
    if (b.type !== PATH[depth]) return buf.subarray(b.start, b.end);
    if (b.type === 'stsd') {
      if (b.end - b.payload < STSD_FIELDS) throw new Error('stsd is too short');
      const entries = readBoxes(buf, b.payload + STSD_FIELDS, b.end).map((e) => {
        if (!VISUAL_ENTRIES.has(e.type)) return buf.subarray(e.start, e.end);
        hits.n++;
        return visualEntry(buf, e, extra, replaced);
      });
      return rebuilt(buf, b, [buf.subarray(b.payload, b.payload + STSD_FIELDS), ...entries]);
    }
    return rebuilt(buf, b, walk(buf, b.payload, b.end, depth + 1, extra, replaced, hits));
  });
}

function hasChunkOffsets(buf: Buffer, moov: BoxSpan): boolean {
  const stack: BoxSpan[] = readBoxes(buf, moov.payload, moov.end);
  let steps = 0;
  while (stack.length) {
    if (++steps > 10_000) throw new Error('moov has too many boxes');
    const b = stack.pop()!;
    if (['trak', 'mdia', 'minf', 'stbl'].includes(b.type)) stack.push(...readBoxes(buf, b.payload, b.end));
    else if ((b.type === 'stco' || b.type === 'co64') && b.end - b.payload >= 8 && buf.readUInt32BE(b.payload + 4) > 0) return true;
  }
  return false;
}

/**
 * Pure: `file` with `extra` appended to every visual sample entry (replacing children of the same types).
 * Returns the file unchanged when `extra` is empty. Throws when there is no moov or no visual sample entry,
 * or when the moov's growth would break chunk offsets.
 */
export function withSampleEntryBoxes(file: Buffer, extra: readonly Buffer[]): Buffer {
  if (extra.length === 0) return file;
  const replaced = new Set(extra.map((b) => b.toString('latin1', 4, 8)));
  const top = readBoxes(file);
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov box');
  if (hasChunkOffsets(file, moov)) throw new Error('the file has chunk offsets (not fragmented): its samples would move');
  const hits = { n: 0 };
  const parts = top.map((b) => (b === moov ? rebuilt(file, b, walk(file, b.payload, b.end, 0, extra, replaced, hits)) : file.subarray(b.start, b.end)));
  if (hits.n === 0) throw new Error('no visual sample entry in the moov');
  return Buffer.concat(parts);
}
