import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import type { JobQueue } from '../shared/job-queue';
import { buildS3PutEvent } from '../shared/s3-event';
import { backoffDelay, sleep } from '../shared/retry';

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

/**
 * Takes closed recording parts to the ingress store. The state lives in the recording folder
 * itself, so nothing is lost across crashes and restarts: `<name>-<t>.flv` is a part (open, closed,
 * or left by a crash), `<name>-<t>.mp4` is remuxed and waiting for its upload. Each step writes
 * first and deletes only once the next copy is complete: the FLV goes after the MP4 is renamed
 * into place, the MP4 after the store verified its copy and the job was queued. Failures are
 * retried with backoff until they succeed or the origin stops; a restart picks them up again.
 */
export class RecordingUploader {
  private readonly log: Logger;
  private readonly todo: string[] = [];
  private readonly queued = new Set<string>();
  private wake?: () => void;
  private running?: Promise<void>;
  private readonly abort = new AbortController();
  private stopping = false;

  constructor(private readonly opts: RecordingUploaderOptions) {
    this.log = opts.log.child({ component: 'uploader' });
  }

  /** Picks up what an earlier run left: parts cut short by a crash and remuxed files not yet uploaded. */
  async start(): Promise<void> {
    await mkdir(join(this.opts.recDir, 'failed'), { recursive: true });
    for (const f of (await readdir(this.opts.recDir)).sort()) {
      if (f.endsWith('.tmp.mp4')) await unlink(join(this.opts.recDir, f)).catch(() => undefined);
      else if (f.endsWith('.flv') || f.endsWith('.mp4')) {
        this.log.info({ file: f }, 'resuming a recording left by an earlier run');
        this.add(join(this.opts.recDir, f));
      }
    }
    this.running = this.loop();
  }

  /** A recorder closed a part. */
  add(path: string): void {
    if (this.queued.has(path)) return;
    this.queued.add(path);
    this.todo.push(path);
    this.wake?.();
  }

  get pending(): number {
    return this.todo.length;
  }

  private async loop(): Promise<void> {
    while (!this.stopping || this.todo.length) {
      const path = this.todo[0];
      if (!path) {
        if (this.stopping) break;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      let attempt = 0;
      for (;;) {
        try {
          await this.process(path);
          break;
        } catch (err) {
          attempt++;
          const delay = backoffDelay(attempt, this.opts.retry);
          this.log.warn({ code: (err as { code?: string }).code ?? 'SC_ERR_STORE', err: (err as Error).message, file: basename(path), attempt, retryInMs: delay }, 'recording upload failed; will retry');
          try {
            await sleep(delay, this.abort.signal);
          } catch {
            return; // stopping: what is left stays on disk for the next start
          }
        }
      }
      this.todo.shift();
      this.queued.delete(path);
    }
  }

  private async process(path: string): Promise<void> {
    let mp4 = path;
    if (path.endsWith('.flv')) {
      mp4 = path.replace(/\.flv$/, '.mp4');
      const exists = await stat(mp4).then(() => true, () => false);
      if (!exists) {
        try {
          await this.remux(path, mp4);
        } catch (err) {
          // Retrying cannot fix corrupt media: keep it aside for an operator, never delete it.
          const aside = join(this.opts.recDir, 'failed', basename(path));
          await rename(path, aside);
          this.log.error({ code: 'SC_ERR_MEDIA', err: (err as Error).message, file: aside }, 'recording part could not be remuxed; kept in rec/failed');
          return;
        }
      }
      await unlink(path).catch(() => undefined);
    }
    const key = basename(mp4);
    const info = await this.opts.store.putFile(key, mp4, { contentType: 'video/mp4' });
    if (this.opts.queue) {
      await this.opts.queue.send(buildS3PutEvent({ bucket: this.opts.store.bucket, key: this.opts.store.bucketKey(key), size: info.size, etag: info.etag }));
    }
    this.log.info({ key, bytes: info.size, store: this.opts.store.location }, 'recording uploaded');
    if (this.opts.doneExec) await this.runDoneExec(mp4, key);
    await unlink(mp4);
  }

  private remux(flv: string, mp4: string): Promise<void> {
    const tmp = mp4.replace(/\.mp4$/, '.tmp.mp4');
    return new Promise<void>((resolve, reject) => {
      ffmpeg(flv)
        .setFfmpegPath(this.opts.ffmpegPath)
        .outputOptions(['-map', '0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4'])
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
    if (this.todo.length) this.log.warn({ left: this.todo.length }, 'recordings left for the next start');
  }
}
