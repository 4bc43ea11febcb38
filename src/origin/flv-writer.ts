/** FLV container bytes, for feeding ffmpeg (and recordings) with the tags RTMP delivered. */
export const FLV_AUDIO = 8;
export const FLV_VIDEO = 9;

export function flvHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  // Signature, version 1, flags, header size 9, then PreviousTagSize0 = 0.
  return Buffer.from([0x46, 0x4c, 0x56, 0x01, (hasAudio ? 4 : 0) | (hasVideo ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
}

export function flvTag(type: number, timestampMs: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(11 + body.length + 4);
  out[0] = type;
  out.writeUIntBE(body.length, 1, 3);
  const ts = Math.max(0, Math.floor(timestampMs)) >>> 0;
  out.writeUIntBE(ts & 0xffffff, 4, 3);
  out[7] = (ts >>> 24) & 0xff;
  out.writeUIntBE(0, 8, 3);
  body.copy(out, 11);
  out.writeUInt32BE(11 + body.length, 11 + body.length);
  return out;
}
