import { appendFile, mkdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { scError } from '../../shared/errors';
import { finishInstantVod, linkOrCopy, type InstantVodMeta } from './instant-vod-files';
import { JOURNAL_FILE, journalLine, type JournalSegment } from './vod-journal';

export interface InstantVodWriterOptions {
  /** `<INSTANT_VOD dir>/<name>/<start ms>`: one folder per publish, so a republish never meets it. */
  readonly dir: string;
  readonly name: string;
  readonly startedAt: number;
  /** INSTANT_VOD_MAX_SIZE: bytes of segments and init segments this VOD may hold. */
  readonly maxBytes: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** A complete segment of the live packager, already on disk in its variant folder. */
export interface PackagedSegment {
  readonly msn: number;
  readonly duration: number;
  readonly initUri: string;
  readonly programDateTime: Date;
  readonly bytes: number;
}

/**
 * Keeps every segment of one publish for its instant VOD while the publish runs: each segment
 * the live packager writes is linked into the VOD folder and appended to its journal, so the
 * whole publish plays as an HLS VOD as soon as `finish` writes its playlist (and after a crash,
 * once the next start rebuilds the playlist from the journal). Past `maxBytes` the oldest
 * segments are dropped: a very long publish keeps its latest INSTANT_VOD_MAX_SIZE.
 */
export class InstantVodWriter {
  private readonly segments: JournalSegment[] = [];
  private readonly inits = new Set<string>();
  private bytes = 0;
  private full = false;
  private readonly log: Logger;

  constructor(private readonly opts: InstantVodWriterOptions) {
    this.log = opts.log.child({ component: 'instant-vod', stream: opts.name });
  }

  get dir(): string {
    return this.opts.dir;
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
  }

  /** A segment (and its init segment, the first time) the packager has written into `variantDir`. */
  async add(s: PackagedSegment, variantDir: string): Promise<void> {
    const dir = this.opts.dir;
    if (!this.inits.has(s.initUri)) {
      await linkOrCopy(join(variantDir, s.initUri), join(dir, s.initUri));
      this.inits.add(s.initUri);
      this.bytes += (await stat(join(dir, s.initUri))).size;
    }
    const entry: JournalSegment = { msn: s.msn, duration: s.duration, init: s.initUri, pdt: s.programDateTime.getTime(), bytes: s.bytes };
    await linkOrCopy(join(variantDir, `${s.msn}.m4s`), join(dir, `${s.msn}.m4s`));
    await appendFile(join(dir, JOURNAL_FILE), journalLine(entry));
    this.segments.push(entry);
    this.bytes += s.bytes;
    while (this.bytes > this.opts.maxBytes && this.segments.length > 1) {
      const gone = this.segments.shift()!;
      this.bytes -= gone.bytes;
      await unlink(join(dir, `${gone.msn}.m4s`)).catch(() => undefined);
      if (!this.full) {
        this.full = true;
        const err = scError('SC_ERR_INSTANT_VOD_SIZE', this.opts.name, this.opts.maxBytes);
        this.log.warn({ code: err.code, maxBytes: this.opts.maxBytes }, err.message);
      }
    }
  }

  /** The publish ended: the VOD playlist is written (or the folder removed when it holds nothing). */
  async finish(): Promise<InstantVodMeta | undefined> {
    const meta = await finishInstantVod(this.opts.dir, { name: this.opts.name, startedAt: this.opts.startedAt, endedAt: this.opts.clock.now() }, this.segments);
    if (meta) this.log.info({ dir: this.opts.dir, seconds: meta.duration, segments: meta.segments }, 'instant VOD ready');
    return meta;
  }
}
