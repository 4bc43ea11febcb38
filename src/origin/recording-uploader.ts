import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, stat, truncate, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import type { JobQueue } from '../shared/job-queue';
import { buildS3PutEvent } from '../shared/s3-event';
import { backoffDelay } from '../shared/retry';
import { fileCompleteLength } from './mp4-complete-length';

/** A recording part's own file (the one its recorder writes): FLV, or the packager's fragmented MP4. */
const SOURCE = /\.(flv|fmp4)$/;

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface RecordingUploaderOptions {
  readonly recDir: string;
  readonly store: ObjectStore;
  /** Set on the local default only: on AWS the bucket's event notification feeds SQS. */
  readonly queue?: JobQueue;
  readonly ffmpegPath: string;
  /** RECORD_DONE_EXEC: run as `sh -c CMD sh <mp4 path> <basename>` after each upload. */
  readonly doneExec: string;
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly log: Logger;
}

/** One recording part, by its path without extension: `<name>-<t>` (.flv or .fmp4, and/or .mp4). */
interface Item {
  readonly stem: string;
  attempts: number;
  /** Not tried again before this time (ms): its own backoff, which holds no other item back. */
  notBefore: number;
  /** Its MP4 was made by this run, so a retry of the upload needs no new remux. */
  remuxed: boolean;
}

/**
 * Takes closed recording parts to the ingress store. The state lives in the recording folder
 * itself, so nothing is lost across crashes and restarts: `<name>-<t>.flv` (HLS_FORMAT=ts) or
 * `<name>-<t>.fmp4` (fmp4: the packager's init segment and fragments) is a part (open, closed, or
 * left by a crash), `<name>-<t>.mp4` is its remux into a progressive MP4. The source is the truth
 * until the store verified the upload: it is remuxed to a temporary name renamed into place, the
 * MP4 is uploaded, and only then the source and the MP4 are deleted. After a crash an MP4 beside
 * its source is never trusted (it may be partial, for instance unflushed when the power went): the
 * part is remuxed again, which costs one stream copy, and a fragmented source is first cut back to
 * its last complete fragment. An MP4 alone was already verified in the store once (its source goes
 * only after that) and is uploaded again, at least once being the rule.
 *
 * Why fragmented parts are remuxed rather than uploaded as they are (measured on a 156 MB,
 * 26.7 min part): the remux costs 1.4 CPU seconds (0.09 % of a core per recorded stream), while a
 * fragmented part that starts later in the stream keeps its stream timestamps, and ffprobe then
 * reports its duration from 0 (20.04 s for a 6.0 s part starting at 14 s), which the transcoder
 * plans its chunks and time limits by. The remux starts every part at 0 and adds a moov index.
 *
 * Each part fails on its own: a failed upload is retried with backoff while the parts behind it
 * go ahead, and a part whose files are gone (rec/ removed under a running origin) is done, with a
 * warning, instead of blocking every later one. A restart picks up whatever is left.
 */
export class RecordingUploader {
  private readonly log: Logger;
  /** In the order parts were closed (a Map keeps insertion order). */
  private readonly items = new Map<string, Item>();
  private wake?: () => void;
  private running?: Promise<void>;
  private readonly abort = new AbortController();
  private stopping = false;

  constructor(private readonly opts: RecordingUploaderOptions) {
    this.log = opts.log.child({ component: 'uploader' });
  }

  /** Picks up what an earlier run left: parts cut short by a crash and remuxed files not yet uploaded. */
  async start(): Promise<void> {
    for (const f of (await readdir(this.opts.recDir)).sort()) {
      const path = join(this.opts.recDir, f);
      if (f.endsWith('.tmp.mp4')) await unlink(path).catch(() => undefined);
      else if (SOURCE.test(f) || f.endsWith('.mp4')) {
        if (f.endsWith('.fmp4') && !(await this.mendTornTail(path))) continue;
        this.log.info({ file: f }, 'resuming a recording left by an earlier run');
        this.add(path);
      }
    }
    this.running = this.loop();
  }

  /**
   * Cuts a fragmented part a crash left back to its last complete fragment (a complete one stays as
   * it is). One with no complete fragment holds nothing to play and is deleted: false. A read error
   * leaves it to the remux.
   */
  private async mendTornTail(path: string): Promise<boolean> {
    try {
      const e = await fileCompleteLength(path);
      if (!e.mdats) {
        await unlink(path);
        this.log.warn({ file: basename(path), bytes: e.size }, 'a recording left by an earlier run holds no complete fragment: deleted');
        return false;
      }
      if (e.length < e.size) {
        await truncate(path, e.length);
        this.log.warn({ file: basename(path), kept: e.length, dropped: e.size - e.length }, 'a recording cut short by a crash: its torn last fragment was dropped');
      }
    } catch (err) {
      this.log.warn({ file: basename(path), err: (err as Error).message }, 'cannot check a recording left by an earlier run');
    }
    return true;
  }

  /** A recorder closed a part (its .flv or .fmp4), or start() found one. */
  add(path: string): void {
    const stem = path.replace(/\.(flv|fmp4|mp4)$/, '');
    if (this.items.has(stem)) return;
    this.items.set(stem, { stem, attempts: 0, notBefore: 0, remuxed: false });
    this.wake?.();
  }

  get pending(): number {
    return this.items.size;
  }

  private async loop(): Promise<void> {
    // Once the shutdown deadline passed, what is left stays on disk for the next start.
    while (!this.abort.signal.aborted) {
      const now = Date.now();
      let ready: Item | undefined;
      let nextAt = Infinity;
      for (const item of this.items.values()) {
        if (item.notBefore <= now) {
          ready = item;
          break;
        }
        nextAt = Math.min(nextAt, item.notBefore);
      }
      if (ready) {
        await this.attempt(ready);
        continue;
      }
      if (this.stopping && !this.items.size) return;
      await this.idle(nextAt - now);
    }
  }

  /** Until a part is added, the earliest retry is due, or the shutdown deadline passes. */
  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const signal = this.abort.signal;
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.wake = undefined;
      };
      const timer = Number.isFinite(ms) ? setTimeout(() => (done(), resolve()), ms) : undefined;
      const onAbort = (): void => (done(), resolve());
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => (done(), resolve());
    });
  }

  private async attempt(item: Item): Promise<void> {
    try {
      await this.process(item);
      this.items.delete(item.stem);
    } catch (err) {
      item.attempts++;
      const delay = backoffDelay(item.attempts, this.opts.retry);
      item.notBefore = Date.now() + delay;
      this.log.warn({ code: (err as { code?: string }).code ?? 'SC_ERR_STORE', err: (err as Error).message, file: basename(item.stem), attempt: item.attempts, retryInMs: delay, waiting: this.items.size }, 'recording upload failed; will retry (other parts go ahead)');
    }
  }

  private async process(item: Item): Promise<void> {
    const stem = item.stem;
    const fmp4 = `${stem}.fmp4`;
    const source = (await exists(fmp4)) ? fmp4 : `${stem}.flv`;
    const mp4 = `${stem}.mp4`;
    const hasSource = await exists(source);
    const hasMp4 = await exists(mp4);
    if (!hasSource && !hasMp4) return this.gone(stem);
    if (hasSource && !(item.remuxed && hasMp4)) {
      try {
        await this.remux(source, mp4);
        item.remuxed = true;
      } catch (err) {
        if (!(await exists(source))) return this.gone(stem);
        // Retrying cannot fix corrupt media: keep it aside for an operator, never delete it.
        const failed = join(this.opts.recDir, 'failed');
        await mkdir(failed, { recursive: true });
        const aside = join(failed, basename(source));
        await rename(source, aside);
        await unlink(mp4).catch(() => undefined);
        this.log.error({ code: 'SC_ERR_MEDIA', err: (err as Error).message, file: aside }, 'recording part could not be remuxed; kept in rec/failed');
        return;
      }
    }
    const key = basename(mp4);
    let info;
    try {
      info = await this.opts.store.putFile(key, mp4, { contentType: 'video/mp4' });
    } catch (err) {
      if (!(await exists(mp4)) && !(await exists(source))) return this.gone(stem);
      throw err;
    }
    if (this.opts.queue) {
      await this.opts.queue.send(buildS3PutEvent({ bucket: this.opts.store.bucket, key: this.opts.store.bucketKey(key), size: info.size, etag: info.etag }));
    }
    this.log.info({ key, bytes: info.size, store: this.opts.store.location }, 'recording uploaded');
    if (this.opts.doneExec) await this.runDoneExec(mp4, key);
    // The source goes first: an MP4 left alone by a crash here is known to be complete.
    if (hasSource) await unlink(source).catch(() => undefined);
    await unlink(mp4).catch(() => undefined);
  }

  private gone(stem: string): void {
    this.log.warn({ code: 'SC_ERR_NOT_FOUND', file: basename(stem), recDir: this.opts.recDir }, 'recording part is gone from disk (was the recording folder removed?): nothing to upload');
  }

  private remux(source: string, mp4: string): Promise<void> {
    const tmp = mp4.replace(/\.mp4$/, '.tmp.mp4');
    return new Promise<void>((resolve, reject) => {
      ffmpeg(source)
        .setFfmpegPath(this.opts.ffmpegPath)
        // `-strict unofficial`: ffmpeg's MP4 muxer writes the spherical boxes (st3d, sv3d) only then.
        .outputOptions(['-map', '0', '-c', 'copy', '-strict', 'unofficial', '-movflags', '+faststart', '-f', 'mp4'])
        .output(tmp)
        .on('error', (err: Error) => reject(err))
        .on('end', () => rename(tmp, mp4).then(resolve, reject))
        .run();
    });
  }

  private runDoneExec(path: string, name: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const child = spawn('sh', ['-c', this.opts.doneExec, 'sh', path, name], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', (err) => this.log.warn({ err: err.message }, 'RECORD_DONE_EXEC could not run'));
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) this.log.warn({ code, cmd: this.opts.doneExec }, 'RECORD_DONE_EXEC exited non-zero');
        resolve();
      });
    });
  }

  /** Uploads what is queued until `deadlineMs`, then leaves the rest on disk for the next start. */
  async close(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const timer = setTimeout(() => this.abort.abort(), deadlineMs);
    await this.running;
    clearTimeout(timer);
    if (this.items.size) this.log.warn({ left: this.items.size }, 'recordings left for the next start');
  }
}
