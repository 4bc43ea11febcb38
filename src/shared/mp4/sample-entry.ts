import { box, fullBox, u8, u16, u32, zeros } from './mp4-box';

/**
 * Sample entries (the `stsd` children) for the codecs the packager carries. Each takes the
 * decoder configuration record exactly as the publisher sent it (FLV carries the same
 * AVCDecoderConfigurationRecord, HEVCDecoderConfigurationRecord and AudioSpecificConfig that
 * ISO-BMFF stores), plus any extra boxes, so spherical metadata (`st3d`, `sv3d`) or `pasp` can be
 * appended to a visual sample entry without this file knowing them.
 */
export type VideoCodecConfig =
  | { readonly codec: 'avc'; readonly record: Buffer }
  | { readonly codec: 'hevc'; readonly record: Buffer };

export interface VideoSampleEntryOptions {
  readonly config: VideoCodecConfig;
  readonly width: number;
  readonly height: number;
  readonly extraBoxes?: readonly Buffer[];
}

/** ISO/IEC 14496-12 12.1.3 VisualSampleEntry with avcC (14496-15 5.4) or hvcC (14496-15 8.4). */
export function videoSampleEntry(o: VideoSampleEntryOptions): Buffer {
  const [type, configBox] = o.config.codec === 'avc' ? ['avc1', box('avcC', o.config.record)] : ['hvc1', box('hvcC', o.config.record)];
  const compressorName = zeros(32);
  return box(
    type,
    zeros(6),
    u16(1), // data_reference_index
    u16(0),
    u16(0),
    zeros(12),
    u16(o.width),
    u16(o.height),
    u32(0x00480000), // 72 dpi
    u32(0x00480000),
    u32(0),
    u16(1), // frame_count
    compressorName,
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = -1
    configBox,
    ...(o.extraBoxes ?? []),
  );
}

export interface AudioSampleEntryOptions {
  /** AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1). */
  readonly asc: Buffer;
  readonly sampleRate: number;
  readonly channels: number;
}

/** An MPEG-4 descriptor: tag, then its size in the 4-byte form every reader accepts. */
function descriptor(tag: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const size = body.length;
  return Buffer.concat([u8(tag), Buffer.from([0x80 | ((size >> 21) & 0x7f), 0x80 | ((size >> 14) & 0x7f), 0x80 | ((size >> 7) & 0x7f), size & 0x7f]), body]);
}

/** ISO/IEC 14496-14 5.6 `mp4a` with its `esds` (ES_Descriptor, DecoderConfigDescriptor, DecoderSpecificInfo). */
export function aacSampleEntry(o: AudioSampleEntryOptions): Buffer {
  const esds = fullBox(
    'esds',
    0,
    0,
    descriptor(
      0x03,
      u16(0), // ES_ID
      u8(0), // no dependsOn, URL or OCR stream
      descriptor(
        0x04,
        u8(0x40), // objectTypeIndication: MPEG-4 Audio
        u8((0x05 << 2) | 1), // streamType audio, upStream 0, reserved 1
        Buffer.from([0, 0, 0]), // bufferSizeDB
        u32(0), // maxBitrate: unknown
        u32(0), // avgBitrate: unknown (variable)
        descriptor(0x05, o.asc),
      ),
      descriptor(0x06, u8(0x02)), // SLConfigDescriptor: predefined for MP4
    ),
  );
  // samplerate is 16.16 fixed point; rates above 65535 Hz keep the real rate in the ASC only.
  const rate = o.sampleRate <= 0xffff ? o.sampleRate : 0;
  return box('mp4a', zeros(6), u16(1), zeros(8), u16(o.channels), u16(16), u16(0), u16(0), u32(rate * 65536), esds);
}
