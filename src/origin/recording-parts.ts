import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';

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
 * The files of one publish's recording, one part open at a time: `<name>-<unix seconds>.<ext>`,
 * appended to, then closed and handed to `onPartClosed` once every byte is written. What goes
 * into a part and where parts roll over is the recorder's (FLV or fragmented MP4).
 */
export class RecordingParts {
  private out?: WriteStream;
  private path = '';
  private lastSecond = 0;
  /** Bytes in the open part. */
  bytes = 0;
  private readonly closing: Array<Promise<void>> = [];

  constructor(
    private readonly opts: RecorderOptions,
    private readonly ext: 'flv' | 'fmp4',
    private readonly log: Logger,
  ) {}

  get isOpen(): boolean {
    return this.out !== undefined;
  }

  open(): void {
    // Unique names even when two parts start within the same second.
    const second = Math.max(Math.floor(this.opts.clock.now() / 1000), this.lastSecond + 1);
    this.lastSecond = second;
    const path = join(this.opts.recDir, `${this.opts.name}-${second}.${this.ext}`);
    this.path = path;
    this.out = createWriteStream(path, { flags: 'wx' });
    this.out.on('error', (err) => this.log.error({ code: 'SC_ERR_STORE', err: err.message, path }, 'recording write failed'));
    this.bytes = 0;
    this.log.info({ path }, 'recording part opened');
  }

  append(buf: Buffer): void {
    this.out!.write(buf);
    this.bytes += buf.length;
  }

  /** Closes the open part; it goes to `onPartClosed` once flushed. */
  closePart(): void {
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

  /** Closes the open part, if any, and waits until every part is handed over. */
  async close(): Promise<void> {
    if (this.out) this.closePart();
    await Promise.all(this.closing);
  }
}
