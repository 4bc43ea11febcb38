import { scError } from '../../shared/errors';

/** One reassembled RTMP message (RTMP specification 5.3, 6.1). */
export interface RtmpMessage {
  readonly csid: number;
  readonly type: number;
  readonly streamId: number;
  /** Milliseconds, modulo 2^32. */
  readonly timestamp: number;
  readonly payload: Buffer;
}

export interface ChunkLimits {
  /** Largest message accepted; a larger announcement closes the connection before any byte is buffered. */
  maxMessageSize: number;
  /** Chunk streams one connection may use (nginx-rtmp: 32). */
  maxChunkStreams: number;
  /** Largest SET_CHUNK_SIZE accepted. */
  maxChunkSize: number;
}

const MSG_SET_CHUNK_SIZE = 1;
const MSG_ABORT = 2;
const HEADER_SIZE = [11, 7, 3, 0];
const DEFAULT_CHUNK_SIZE = 128;

interface ChunkStream {
  readonly csid: number;
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** Whether this stream's last header carried an extended timestamp, so a type 3 chunk does too. */
  extended: boolean;
  /** The message being reassembled: its chunks as they arrived, never preallocated. */
  parts: Buffer[];
  received: number;
}

function violation(reason: string): never {
  throw scError('SC_ERR_RTMP_PROTOCOL', reason);
}

/**
 * Incremental RTMP chunk-stream demultiplexer with explicit limits. Bytes are fed as they come
 * off the socket, split anywhere; complete messages are handed to `onMessage` in order.
 * SET_CHUNK_SIZE and ABORT act here, between two chunks, as the specification requires (and are
 * handed on too). A message's memory grows only with the bytes actually received, so announcing
 * 16 MB costs nothing; an announcement above `maxMessageSize`, a chunk stream beyond
 * `maxChunkStreams`, or a chunk size outside 1..`maxChunkSize` throws SC_ERR_RTMP_PROTOCOL.
 */
export class ChunkReader {
  private readonly streams = new Map<number, ChunkStream>();
  private readonly header = Buffer.alloc(18);
  private headerLen = 0;
  private chunkSize = DEFAULT_CHUNK_SIZE;
  /** The chunk whose payload is being read, and how much of it is left. */
  private current?: ChunkStream;
  private payloadLeft = 0;
  /** Bytes held in unfinished messages across all chunk streams. */
  private pending = 0;

  constructor(private readonly limits: ChunkLimits) {}

  /** Raises (or lowers) the message size limit, e.g. once a publish is authorized. */
  setMaxMessageSize(bytes: number): void {
    this.limits.maxMessageSize = bytes;
  }

  push(data: Buffer, onMessage: (m: RtmpMessage) => void): void {
    let p = 0;
    while (p < data.length) {
      if (this.current && this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, data.length - p);
        // A copy: the chunk is kept until its message completes, the socket's buffer is not.
        this.current.parts.push(Buffer.from(data.subarray(p, p + n)));
        this.current.received += n;
        this.pending += n;
        this.payloadLeft -= n;
        p += n;
        if (this.payloadLeft === 0) this.endChunk(onMessage);
        continue;
      }
      this.header[this.headerLen++] = data[p++]!;
      if (this.headerLen === this.headerSize()) {
        this.headerLen = 0;
        this.startChunk(onMessage);
      }
    }
  }

  /** Header bytes needed so far: grows as the basic header and fmt reveal what follows. */
  private headerSize(): number {
    const low = this.header[0]! & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const fmt = this.header[0]! >> 6;
    const size = basic + HEADER_SIZE[fmt]!;
    if (this.headerLen < size) return size;
    const extended = fmt < 3 ? this.header.readUIntBE(basic, 3) === 0xffffff : (this.streams.get(this.csid(basic))?.extended ?? false);
    return extended ? size + 4 : size;
  }

  private csid(basic: number): number {
    if (basic === 1) return this.header[0]! & 0x3f;
    if (basic === 2) return 64 + this.header[1]!;
    return 64 + this.header[1]! + this.header[2]! * 256;
  }

  private startChunk(onMessage: (m: RtmpMessage) => void): void {
    const h = this.header;
    const low = h[0]! & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const fmt = h[0]! >> 6;
    const csid = this.csid(basic);
    let cs = this.streams.get(csid);
    if (!cs) {
      if (fmt > 1) violation(`chunk stream ${csid} starts without a message header (fmt ${fmt})`);
      if (this.streams.size >= this.limits.maxChunkStreams) violation(`more than ${this.limits.maxChunkStreams} chunk streams`);
      cs = { csid, timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, parts: [], received: 0 };
      this.streams.set(csid, cs);
    }
    if (fmt < 3) {
      // A new header in the middle of a message abandons that message, as an implied ABORT.
      if (cs.received > 0) this.discard(cs);
      let ts = h.readUIntBE(basic, 3);
      cs.extended = ts === 0xffffff;
      if (cs.extended) ts = h.readUInt32BE(basic + HEADER_SIZE[fmt]!);
      if (fmt <= 1) {
        cs.length = h.readUIntBE(basic + 3, 3);
        cs.type = h[basic + 6]!;
      }
      if (fmt === 0) {
        cs.streamId = h.readUInt32LE(basic + 7);
        cs.timestamp = ts;
        cs.delta = 0;
      } else {
        cs.delta = ts;
      }
    }
    if (cs.received === 0) {
      // Per nginx-rtmp: a type 0 header sets the time, every other starts a message one delta on.
      if (fmt !== 0) cs.timestamp = (cs.timestamp + cs.delta) >>> 0;
      if (cs.length > this.limits.maxMessageSize) {
        violation(`message of ${cs.length} bytes (type ${cs.type}) on chunk stream ${csid} exceeds the limit of ${this.limits.maxMessageSize}`);
      }
      if (this.pending + cs.length > 2 * this.limits.maxMessageSize) violation('too many unfinished messages at once');
    }
    this.current = cs;
    this.payloadLeft = Math.min(this.chunkSize, cs.length - cs.received);
    if (this.payloadLeft === 0) this.endChunk(onMessage);
  }

  private endChunk(onMessage: (m: RtmpMessage) => void): void {
    const cs = this.current!;
    this.current = undefined;
    if (cs.received < cs.length) return;
    const payload = cs.parts.length === 1 ? cs.parts[0]! : Buffer.concat(cs.parts, cs.received);
    this.discard(cs);
    const msg: RtmpMessage = { csid: cs.csid, type: cs.type, streamId: cs.streamId, timestamp: cs.timestamp, payload };
    if (msg.type === MSG_SET_CHUNK_SIZE) this.setChunkSize(payload);
    else if (msg.type === MSG_ABORT) this.abort(payload);
    onMessage(msg);
  }

  private discard(cs: ChunkStream): void {
    this.pending -= cs.received;
    cs.parts = [];
    cs.received = 0;
  }

  private setChunkSize(payload: Buffer): void {
    if (payload.length < 4) violation('SET_CHUNK_SIZE shorter than 4 bytes');
    // The first bit must be zero (5.4.1); it is ignored, as librtmp-era servers do.
    const size = payload.readUInt32BE(0) & 0x7fffffff;
    if (size < 1 || size > this.limits.maxChunkSize) violation(`chunk size ${size} outside 1..${this.limits.maxChunkSize}`);
    this.chunkSize = size;
  }

  private abort(payload: Buffer): void {
    if (payload.length < 4) violation('ABORT shorter than 4 bytes');
    const cs = this.streams.get(payload.readUInt32BE(0));
    if (cs && cs !== this.current) this.discard(cs);
  }
}
