import type { Logger } from '../shared/logger';
import { flvHeader, flvTag, FLV_AUDIO, FLV_VIDEO } from './flv-writer';
import type { TagKind } from './media-info';
import { RecordingParts, type RecorderOptions } from './recording-parts';

export type { RecorderOptions };

/**
 * Records one publish as FLV parts of at most about `maxBytes` (like nginx-rtmp's record_max_size;
 * HLS_FORMAT=ts). Parts roll over on a video keyframe and each starts with the codec configuration,
 * so every part plays on its own and the parts concatenate to the whole stream with no frame lost
 * or repeated. Parts are named `<name>-<unix seconds>.flv`; an open part is recognised after a
 * crash by its `.flv` name (the uploader finalizes leftovers on start).
 */
export class Recorder {
  private readonly parts: RecordingParts;
  private videoConfig?: Buffer;
  private audioConfig?: Buffer;
  private audioFrames = 0;
  private readonly log: Logger;

  constructor(private readonly opts: RecorderOptions) {
    this.log = opts.log.child({ component: 'recorder', stream: opts.name });
    this.parts = new RecordingParts(opts, 'flv', this.log);
  }

  /** One FLV tag (`tag` is the same tag as FLV bytes); `body` is only valid during this call. */
  write(dts: number, body: Buffer, kind: TagKind, tag: Buffer): void {
    if (kind === 'video-config') this.videoConfig = Buffer.from(body);
    else if (kind === 'audio-config') this.audioConfig = Buffer.from(body);
    else if (kind !== 'video-key' && kind !== 'video' && kind !== 'audio') return;
    const keyframe = kind === 'video-key';
    const audioOnlyStart = !this.videoConfig && this.audioConfig && kind === 'audio' && ++this.audioFrames >= 50;
    if (!this.parts.isOpen) {
      if (!(keyframe && this.videoConfig) && !audioOnlyStart) return;
      this.open(dts);
    } else if (keyframe && this.parts.bytes >= this.opts.maxBytes) {
      this.parts.closePart();
      this.open(dts);
    }
    this.parts.append(tag);
  }

  private open(dts: number): void {
    this.parts.open();
    this.parts.append(flvHeader(!!this.audioConfig, !!this.videoConfig));
    if (this.videoConfig) this.parts.append(flvTag(FLV_VIDEO, dts, this.videoConfig));
    if (this.audioConfig) this.parts.append(flvTag(FLV_AUDIO, dts, this.audioConfig));
  }

  close(): Promise<void> {
    return this.parts.close();
  }
}
