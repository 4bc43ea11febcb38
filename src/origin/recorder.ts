import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { flvHeader, flvTag, FLV_AUDIO, FLV_VIDEO } from './flv-writer';
import type { TagKind } from './media-info';

export interface RecorderOptions {
  readonly recDir: string;
  readonly name: string;
  readonly maxBytes: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** A part is complete on disk (rollover or end of publish). */
  readonly onPartClosed: (path: string) => void;
}

/**
 * Records one publish as FLV parts of at most about `maxBytes` (like nginx-rtmp's record_max_size).
 * Parts roll over on a video keyframe and each starts with the codec configuration, so every part
 * plays on its own and the parts concatenate to the whole stream with no frame lost or repeated.
 * Parts are named `<name>-<unix seconds>.flv`; an open part is recognised after a crash by its
 * `.flv` name (the uploader finalizes leftovers on start).
 */
export class Recorder {
  private out?: WriteStream;
  private path = '';
  private bytes = 0;
  private videoConfig?: Buffer;
  private audioConfig?: Buffer;
  private audioFrames = 0;
  private lastSecond = 0;
  private readonly log: Logger;
  private readonly closing: Array<Promise<void>> = [];

  constructor(private readonly opts: RecorderOptions) {
    this.log = opts.log.child({ component: 'recorder', stream: opts.name });
  }

  /** One FLV tag (`tag` is the same tag as FLV bytes); `body` is only valid during this call. */
  write(dts: number, body: Buffer, kind: TagKind, tag: Buffer): void {
    if (kind === 'video-config') this.videoConfig = Buffer.from(body);
    else if (kind === 'audio-config') this.audioConfig = Buffer.from(body);
    else if (kind !== 'video-key' && kind !== 'video' && kind !== 'audio') return;
    const keyframe = kind === 'video-key';
    const audioOnlyStart = !this.videoConfig && this.audioConfig && kind === 'audio' && ++this.audioFrames >= 50;
    if (!this.out) {
      if (!(keyframe && this.videoConfig) && !audioOnlyStart) return;
      this.open(dts);
    } else if (keyframe && this.bytes >= this.opts.maxBytes) {
      this.rollover();
      this.open(dts);
    }
    this.append(tag);
  }

  private open(dts: number): void {
    // Unique names even when two parts start within the same second.
    const second = Math.max(Math.floor(this.opts.clock.now() / 1000), this.lastSecond + 1);
    this.lastSecond = second;
    this.path = join(this.opts.recDir, `${this.opts.name}-${second}.flv`);
    this.out = createWriteStream(this.path, { flags: 'wx' });
    this.out.on('error', (err) => this.log.error({ code: 'SC_ERR_STORE', err: err.message, path: this.path }, 'recording write failed'));
    this.bytes = 0;
    this.append(flvHeader(!!this.audioConfig, !!this.videoConfig));
    if (this.videoConfig) this.append(flvTag(FLV_VIDEO, dts, this.videoConfig));
    if (this.audioConfig) this.append(flvTag(FLV_AUDIO, dts, this.audioConfig));
    this.log.info({ path: this.path }, 'recording part opened');
  }

  private append(buf: Buffer): void {
    this.out!.write(buf);
    this.bytes += buf.length;
  }

  private rollover(): void {
    const out = this.out!;
    const path = this.path;
    this.out = undefined;
    this.closing.push(
      new Promise<void>((resolve) => {
        out.end(() => {
          this.log.info({ path }, 'recording part closed');
          this.opts.onPartClosed(path);
          resolve();
        });
      }),
    );
  }

  async close(): Promise<void> {
    if (this.out) this.rollover();
    await Promise.all(this.closing);
  }
}
