import { scError } from '../shared/errors';

export interface FlvTag {
  readonly type: number;
  /** Milliseconds (the 32-bit FLV timestamp). */
  readonly dts: number;
  readonly body: Buffer;
}

const HEADER_BYTES = 9 + 4;
const TAG_HEADER_BYTES = 11;
const PREVIOUS_TAG_SIZE_BYTES = 4;

/**
 * A bounded streaming FLV demuxer (the live ladder's ffmpeg output): bytes in as they arrive,
 * tags out with the same body layout as RTMP messages. A tag larger than `maxTagBytes` or a bad
 * signature throws SC_ERR_MEDIA, and at most one tag's bytes are ever held.
 */
export class FlvTagReader {
  private chunks: Buffer[] = [];
  private held = 0;
  private headerDone = false;

  constructor(
    private readonly maxTagBytes: number,
    private readonly onTag: (tag: FlvTag) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.held += chunk.length;
    for (;;) {
      if (!this.headerDone) {
        const header = this.take(HEADER_BYTES);
        if (!header) return;
        if (header.toString('latin1', 0, 3) !== 'FLV') throw scError('SC_ERR_MEDIA', 'FLV signature missing');
        const headerSize = header.readUInt32BE(5);
        // Only version 1's 9-byte header exists; anything else is not FLV as ffmpeg writes it.
        if (headerSize !== 9) throw scError('SC_ERR_MEDIA', `FLV header size ${headerSize}`);
        this.headerDone = true;
        continue;
      }
      const head = this.peek(TAG_HEADER_BYTES);
      if (!head) return;
      const size = head.readUIntBE(1, 3);
      if (size > this.maxTagBytes) throw scError('SC_ERR_MEDIA', `FLV tag of ${size} bytes, over ${this.maxTagBytes}`);
      const tag = this.take(TAG_HEADER_BYTES + size + PREVIOUS_TAG_SIZE_BYTES);
      if (!tag) return;
      const dts = (head.readUIntBE(4, 3) | (head[7]! << 24)) >>> 0;
      this.onTag({ type: head[0]! & 0x1f, dts, body: tag.subarray(TAG_HEADER_BYTES, TAG_HEADER_BYTES + size) });
    }
  }

  /** The next `n` bytes without consuming them, once that many are held. */
  private peek(n: number): Buffer | undefined {
    if (this.held < n) return undefined;
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer | undefined {
    const out = this.peek(n);
    if (!out) return undefined;
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.held -= n;
    return out;
  }
}
