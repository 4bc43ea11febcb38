/**
 * Pure: one RTMP message as chunks (RTMP specification 5.3.1): a type 0 header, then type 3
 * headers every `chunkSize` bytes, with the extended timestamp repeated in each when the
 * timestamp needs it (as librtmp and ffmpeg expect).
 */
export interface OutMessage {
  readonly csid: number;
  readonly type: number;
  readonly streamId: number;
  readonly timestamp: number;
  readonly payload: Buffer;
}

function basicHeader(fmt: number, csid: number): Buffer {
  if (csid < 2 || csid > 65599) throw new RangeError(`chunk stream id ${csid} outside 2..65599`);
  if (csid < 64) return Buffer.from([(fmt << 6) | csid]);
  if (csid < 320) return Buffer.from([fmt << 6, csid - 64]);
  return Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
}

export function encodeMessage(m: OutMessage, chunkSize: number): Buffer {
  const ts = m.timestamp >>> 0;
  const extended = ts >= 0xffffff;
  const head = Buffer.alloc(11 + (extended ? 4 : 0));
  head.writeUIntBE(extended ? 0xffffff : ts, 0, 3);
  head.writeUIntBE(m.payload.length, 3, 3);
  head[6] = m.type;
  head.writeUInt32LE(m.streamId >>> 0, 7);
  if (extended) head.writeUInt32BE(ts, 11);
  const parts = [basicHeader(0, m.csid), head];
  const cont = basicHeader(3, m.csid);
  const contExt = extended ? Buffer.concat([cont, head.subarray(11)]) : cont;
  for (let off = 0; off < m.payload.length || off === 0; off += chunkSize) {
    if (off > 0) parts.push(contExt);
    parts.push(m.payload.subarray(off, off + chunkSize));
    if (m.payload.length === 0) break;
  }
  return Buffer.concat(parts);
}
