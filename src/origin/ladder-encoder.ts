import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { FlvTagReader, type FlvTag } from './flv-tag-reader';
import type { LadderRung } from './live-ladder-plan';

export interface LadderEncoderOptions {
  readonly ffmpegPath: string;
  readonly rungs: readonly LadderRung[];
  /** x264 preset (LIVE_LADDER_PRESET). */
  readonly preset: string;
  /** Largest FLV tag accepted back from ffmpeg (RTMP_MAX_MESSAGE: a rung is never larger than its source). */
  readonly maxTagBytes: number;
  /** Each tag of rung `index`, as ffmpeg wrote it. */
  readonly onTag: (index: number, tag: FlvTag) => void;
  /** ffmpeg is gone (exited, killed, or its output could not be read): why, once. */
  readonly onExit: (reason: string) => void;
}

/** First output pipe: 0-2 are stdin (the source), stdout (unused) and stderr. */
const FIRST_OUTPUT_FD = 3;
/** Most bytes of ffmpeg's stderr kept for the exit reason. */
const STDERR_KEEP = 4096;

/**
 * Pure: one ffmpeg that decodes the source (FLV on stdin) once and encodes every rung, each to
 * FLV on its own pipe. Keyframes are forced at the source's keyframes and nowhere else, so every
 * rendition cuts segments and independent parts at the same times; timestamps are kept (copyts)
 * and frames passed through (no dropping or duplicating), so equal pictures have equal times.
 * The source's audio is copied into every rung unchanged. A viewport rung's addroi filters (`roi`) follow its
 * scale.
 */
export function ladderEncoderArgs(rungs: readonly LadderRung[], preset: string): string[] {
  const split = rungs.length > 1 ? `[0:v:0]split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join('')};` : '';
  const scales = rungs.map((r, i) => `${rungs.length > 1 ? `[s${i}]` : '[0:v:0]'}scale=${r.width}:${r.height},format=yuv420p${r.roi ? `,${r.roi}` : ''}[v${i}]`).join(';');
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // A short probe: the configuration tags come first, so stream parameters are known at once.
    '-probesize', '65536', '-analyzeduration', '500000',
    '-f', 'flv', '-i', 'pipe:0',
    '-copyts',
    '-filter_complex', split + scales,
  ];
  rungs.forEach((r, i) => {
    args.push(
      '-map', `[v${i}]`, '-map', '0:a:0?',
      '-c:v', 'libx264', '-preset', preset, '-tune', 'zerolatency',
      // Regions of interest need adaptive quantisation, which the fastest presets turn off.
      ...(r.roi ? ['-aq-mode', 'variance'] : []),
      '-b:v', String(r.bitrate), '-maxrate', String(r.maxrate), '-bufsize', String(r.bufsize),
      '-force_key_frames', 'source', '-forced-idr', '1', '-x264-params', 'keyint=infinite:scenecut=0',
      // The source's own timestamps, not rounded to 1/frame rate (the encoder's default time base).
      '-fps_mode', 'passthrough', '-enc_time_base:v', '-1',
      '-c:a', 'copy',
      '-max_muxing_queue_size', '1024',
      '-flvflags', 'no_duration_filesize', '-flush_packets', '1',
      '-f', 'flv', `pipe:${FIRST_OUTPUT_FD + i}`,
    );
  });
  return args;
}

/**
 * The ffmpeg child of one stream's live ladder, in its own process group: the source's FLV in,
 * one FLV tag stream per rung out. kill() and close() end the whole group, so nothing it started
 * outlives the stream; close() lets it finish what it has first, for at most `graceMs`.
 */
export class LadderEncoder {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private reported = false;
  private stderr = '';

  constructor(private readonly opts: LadderEncoderOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Source bytes written but not yet taken by ffmpeg: a measure of how far behind it is. */
  get backlogBytes(): number {
    return this.child?.stdin?.writableLength ?? 0;
  }

  start(): void {
    const o = this.opts;
    const outputs = o.rungs.map(() => 'pipe' as const);
    const child = spawn(o.ffmpegPath, ladderEncoderArgs(o.rungs, o.preset), { detached: true, stdio: ['pipe', 'ignore', 'pipe', ...outputs] });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      // Never started: no 'close' is certain to follow.
      child.once('error', () => child.pid === undefined && resolve());
    });
    child.on('error', (err) => this.gone(`cannot run ${o.ffmpegPath}: ${err.message}`));
    child.once('exit', (code, signal) => this.gone(signal ? `ffmpeg killed by ${signal}` : `ffmpeg exited with code ${code}${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    // Writing to an ffmpeg that died is reported by its exit; the pipe error itself says nothing more.
    child.stdin!.on('error', () => undefined);
    o.rungs.forEach((_, i) => {
      const out = child.stdio[FIRST_OUTPUT_FD + i] as Readable;
      const reader = new FlvTagReader(o.maxTagBytes, (tag) => o.onTag(i, tag));
      out.on('data', (d: Buffer) => {
        try {
          reader.push(d);
        } catch (err) {
          this.gone(`output of rung ${i} unreadable: ${(err as Error).message}`);
          this.kill();
        }
      });
      out.on('error', () => undefined);
    });
  }

  /** Source bytes (FLV header, then tags) for ffmpeg's stdin. */
  write(bytes: Buffer): void {
    const stdin = this.child?.stdin as Writable | undefined;
    if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.write(bytes);
  }

  /** SIGKILL to the whole group at once. */
  kill(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child!.exitCode !== null || this.child!.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.child!.kill('SIGKILL');
    }
  }

  /** End of the source: ffmpeg flushes what it holds and exits, or is killed after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    if (!this.child || !this.exited) return;
    this.reported = true;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private gone(reason: string): void {
    if (this.reported) return;
    this.reported = true;
    this.opts.onExit(reason);
  }
}
