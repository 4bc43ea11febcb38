/**
 * What a live stream carries, read from its FLV tags as they pass: codecs (RFC 6381 strings for
 * the master playlist), resolution from the SPS, frame rate and bitrate measured from the packets.
 */
import { FLV_AUDIO, FLV_VIDEO } from './flv-writer';
import { parseAvcConfig } from './codec/avc-config';
import { parseHevcConfig } from './codec/hevc-config';
import { readFlvMedia } from './packager/flv-media';
import type { VideoCodecConfig } from '../shared/mp4/sample-entry';
import { parseAacConfig } from './codec/aac-config';
import { declaredVideoBitrate } from './declared-bitrate';

const FLV_SCRIPT = 18;

export interface VideoInfo {
  codec: string;
  width: number;
  height: number;
}

export interface AudioInfo {
  codec: string;
  sampleRate: number;
  channels: number;
}

export type TagKind = 'video-config' | 'video-key' | 'video' | 'audio-config' | 'audio' | 'metadata' | 'unsupported' | 'ignored';

const SOUND_FORMATS: Record<number, string> = { 0: 'PCM', 1: 'ADPCM', 2: 'MP3', 3: 'PCM-LE', 4: 'Nellymoser', 5: 'Nellymoser', 6: 'Nellymoser', 7: 'G.711 A-law', 8: 'G.711 mu-law', 11: 'Speex', 14: 'MP3 8kHz' };
const VIDEO_CODECS: Record<number, string> = { 2: 'Sorenson H.263', 3: 'Screen video', 4: 'VP6', 5: 'VP6 alpha', 6: 'Screen video 2', 12: 'HEVC' };

/** Pure: classifies an FLV tag body. */
export function classifyTag(type: number, body: Buffer): { kind: TagKind; codec?: string } {
  if (type === FLV_AUDIO && body.length >= 2) {
    const format = body[0] >> 4;
    if (format !== 10) return { kind: 'unsupported', codec: `audio ${SOUND_FORMATS[format] ?? `format ${format}`}` };
    return { kind: body[1] === 0 ? 'audio-config' : 'audio' };
  }
  if (type === FLV_VIDEO && body.length >= 5) {
    if (body[0] & 0x80) {
      // Enhanced RTMP: HEVC (and AVC) by FourCC; other codecs are left out.
      const m = readFlvMedia(type, body);
      if (m.kind === 'video-config') return { kind: 'video-config' };
      if (m.kind === 'video') return { kind: m.key ? 'video-key' : 'video' };
      const fourcc = body.subarray(1, 5).toString('latin1');
      return fourcc === 'hvc1' || fourcc === 'avc1' ? { kind: 'ignored' } : { kind: 'unsupported', codec: `video ${fourcc} (enhanced RTMP)` };
    }
    const codecId = body[0] & 0x0f;
    if (codecId !== 7) return { kind: 'unsupported', codec: `video ${VIDEO_CODECS[codecId] ?? `codec ${codecId}`}` };
    if (body[1] === 0) return { kind: 'video-config' };
    if (body[1] !== 1 || body[0] >> 4 === 5) return { kind: 'ignored' };
    return { kind: body[0] >> 4 === 1 ? 'video-key' : 'video' };
  }
  if (type === FLV_SCRIPT) return { kind: 'metadata' };
  return { kind: 'ignored' };
}

/** Running measurements of one publish. */
export class MediaInfo {
  video?: VideoInfo;
  /** The decoder configuration record as published, for packagers that write their own init segments. */
  videoConfig?: VideoCodecConfig;
  audio?: AudioInfo;
  /** The video bitrate the publisher declared in onMetaData (bits/s), if any. */
  declaredVideoBitrate?: number;
  readonly unsupported = new Set<string>();
  private firstVideoDts = -1;
  private lastVideoDts = -1;
  private videoFrames = 0;
  private bytes = 0;
  private firstDts = -1;
  private lastDts = -1;

  /**
   * Returns the tag's kind so the caller can act on it without classifying twice. A codec
   * configuration that fails validation throws SC_ERR_CODEC_CONFIG: the publish cannot be packaged.
   */
  observe(type: number, dts: number, body: Buffer): TagKind {
    const { kind, codec } = classifyTag(type, body);
    this.bytes += body.length;
    if (type === FLV_AUDIO || type === FLV_VIDEO) {
      if (this.firstDts < 0) this.firstDts = dts;
      this.lastDts = Math.max(this.lastDts, dts);
    }
    switch (kind) {
      case 'video-config':
        {
          const m = readFlvMedia(type, body);
          if (m.kind !== 'video-config') break;
          const parsed = m.codec === 'hevc' ? parseHevcConfig(m.record) : parseAvcConfig(m.record);
          this.video = { codec: parsed.codec, width: parsed.width, height: parsed.height };
          this.videoConfig = { codec: m.codec, record: Buffer.from(m.record) };
        }
        break;
      case 'audio-config':
        {
          const aac = parseAacConfig(body.subarray(2));
          this.audio = { codec: aac.codec, sampleRate: aac.sampleRate, channels: aac.channels };
        }
        break;
      case 'video-key':
      case 'video':
        if (this.firstVideoDts < 0) this.firstVideoDts = dts;
        this.lastVideoDts = dts;
        this.videoFrames++;
        break;
      case 'unsupported':
        this.unsupported.add(codec!);
        break;
      case 'metadata':
        this.declaredVideoBitrate = declaredVideoBitrate(body) ?? this.declaredVideoBitrate;
        break;
    }
    return kind;
  }

  /** Frames per second measured over the publish so far. */
  get frameRate(): number {
    const span = this.lastVideoDts - this.firstVideoDts;
    return span > 0 ? ((this.videoFrames - 1) * 1000) / span : 0;
  }

  /** Average media bitrate (bits/s) over the publish so far. */
  get bitrate(): number {
    const span = this.lastDts - this.firstDts;
    return span > 0 ? (this.bytes * 8 * 1000) / span : 0;
  }
}
