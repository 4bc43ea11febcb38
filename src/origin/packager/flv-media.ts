/**
 * Pure: what one FLV tag body carries, for the packager: a decoder configuration or one access
 * unit, in legacy FLV (H.264 = codec 7, AAC = sound format 10) or Enhanced RTMP (`hvc1`, `avc1`
 * FourCC video). Bounds: every offset is checked against the body's length; nothing is copied.
 */
export type FlvMedia =
  | { readonly kind: 'video-config'; readonly codec: 'avc' | 'hevc'; readonly record: Buffer }
  | { readonly kind: 'video'; readonly key: boolean; readonly cts: number; readonly data: Buffer }
  | { readonly kind: 'audio-config'; readonly asc: Buffer }
  | { readonly kind: 'audio'; readonly data: Buffer }
  | { readonly kind: 'skip'; readonly why: string };

const FLV_AUDIO = 8;
const FLV_VIDEO = 9;
// Enhanced RTMP (veovera enhanced-rtmp v1) video packet types.
const EX_SEQUENCE_START = 0;
const EX_CODED_FRAMES = 1;
const EX_SEQUENCE_END = 2;
const EX_CODED_FRAMES_X = 3;
const KEY_FRAME = 1;
const COMMAND_FRAME = 5;

function skip(why: string): FlvMedia {
  return { kind: 'skip', why };
}

function video(body: Buffer): FlvMedia {
  if (body.length < 1) return skip('empty video tag');
  const frameType = (body[0]! >> 4) & 0x07;
  if (body[0]! & 0x80) {
    if (body.length < 5) return skip('enhanced video tag shorter than its header');
    const packetType = body[0]! & 0x0f;
    const fourcc = body.toString('latin1', 1, 5);
    const codec = fourcc === 'hvc1' ? 'hevc' : fourcc === 'avc1' ? 'avc' : undefined;
    if (!codec) return skip(`video ${fourcc}`);
    if (frameType === COMMAND_FRAME || packetType === EX_SEQUENCE_END) return skip('command frame or sequence end');
    if (packetType === EX_SEQUENCE_START) return { kind: 'video-config', codec, record: body.subarray(5) };
    if (packetType === EX_CODED_FRAMES) {
      if (body.length < 8) return skip('coded frames without composition time');
      return { kind: 'video', key: frameType === KEY_FRAME, cts: body.readIntBE(5, 3), data: body.subarray(8) };
    }
    if (packetType === EX_CODED_FRAMES_X) return { kind: 'video', key: frameType === KEY_FRAME, cts: 0, data: body.subarray(5) };
    return skip(`enhanced video packet type ${packetType}`);
  }
  if ((body[0]! & 0x0f) !== 7) return skip(`video codec ${body[0]! & 0x0f}`);
  if (body.length < 5) return skip('AVC tag shorter than its header');
  if (frameType === COMMAND_FRAME) return skip('command frame');
  if (body[1] === 0) return { kind: 'video-config', codec: 'avc', record: body.subarray(5) };
  if (body[1] === 1) return { kind: 'video', key: frameType === KEY_FRAME, cts: body.readIntBE(2, 3), data: body.subarray(5) };
  return skip('AVC end of sequence');
}

function audio(body: Buffer): FlvMedia {
  if (body.length < 2) return skip('audio tag shorter than its header');
  if (body[0]! >> 4 !== 10) return skip(`sound format ${body[0]! >> 4}`);
  return body[1] === 0 ? { kind: 'audio-config', asc: body.subarray(2) } : { kind: 'audio', data: body.subarray(2) };
}

export function readFlvMedia(type: number, body: Buffer): FlvMedia {
  if (type === FLV_VIDEO) return video(body);
  if (type === FLV_AUDIO) return audio(body);
  return skip(`tag type ${type}`);
}
