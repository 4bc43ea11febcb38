import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import type { Chunk } from './chunk-plan';
import { progressOf, startHlsJob, type HlsJobOptions, type Progress, type RunningHlsJob } from './ffmpeg-hls-job';
import { stitchRendition } from './hls-stitch';

/**
 * Output timestamps of every chunk (and of the audio) start this far in. Without it the first
 * chunk's B-frame delay makes its decode timestamps negative and the muxer shifts that chunk (and
 * only that one) by the delay; with every timestamp positive no chunk is shifted and the chunks
 * continue one another exactly.
 */
export const CHUNK_TS_BASE = 10;

/** Scratch folder of the chunk runs inside a job's output folder (removed once stitched). */
export const CHUNKS_DIR = '.chunks';

/**
 * Sums the chunks' progress: seconds of source done over all chunks, and their speeds added (they
 * run at once, so the job advances by all of them). Pure.
 */
export function combinedProgress(
  chunks: readonly Chunk[],
  latest: ReadonlyMap<number, { time: number; speed?: number }>,
  duration: number,
): Progress {
  let time = 0;
  let speed = 0;
  for (const c of chunks) {
    const p = latest.get(c.index);
    if (!p) continue;
    const length = c.duration ?? Math.max(0, duration - c.start);
    time += Math.min(p.time, length);
    speed += p.speed ?? 0;
  }
  return progressOf({ time, speed: speed > 0 ? speed : undefined }, duration);
}

/**
 * The job split into GOP-aligned chunks: one ffmpeg run per chunk for the video renditions (each
 * straight to HLS in its own folder, input-seeked to its start, timestamps offset by it) and one
 * run for the whole audio, all at once; then every rendition's chunk segments are moved into one
 * folder and listed in one playlist. A failing run kills the others.
 */
export function startChunkedHlsJob(opts: HlsJobOptions & { readonly chunks: readonly Chunk[] }): RunningHlsJob {
  const log = opts.log.child({ component: 'chunked-hls-job' });
  const scratch = join(opts.outDir, CHUNKS_DIR);
  const latest = new Map<number, { time: number; speed?: number }>();
  let lastReport = 0;
  const every = opts.progressEveryMs ?? 5000;
  const report = (): void => {
    if (!opts.onProgress || !opts.duration) return;
    const now = Date.now();
    if (now - lastReport < every) return;
    lastReport = now;
    opts.onProgress(combinedProgress(opts.chunks, latest, opts.duration));
  };
  const chunkDirs = opts.chunks.map((c) => join(scratch, String(c.index)));
  const runs: RunningHlsJob[] = opts.chunks.map((c, i) =>
    startHlsJob({
      ...opts,
      outDir: chunkDirs[i],
      streams: 'video',
      seek: { start: c.start, duration: c.duration },
      tsOffset: CHUNK_TS_BASE + c.start,
      progressEveryMs: 0,
      onProgress: (p) => {
        latest.set(c.index, p);
        report();
      },
    }),
  );
  runs.push(startHlsJob({ ...opts, streams: 'audio', tsOffset: CHUNK_TS_BASE, onProgress: undefined }));
  log.info({ chunks: opts.chunks.map((c) => ({ start: c.start, duration: c.duration ?? 'to the end' })) }, 'chunks started');
  let killed = false;
  const killAll = (): void => {
    for (const r of runs) r.kill();
  };
  // The first failure is the cause; the others are its kills.
  let firstError: unknown;
  const done = (async () => {
    const settled = await Promise.allSettled(
      runs.map((r) =>
        r.done.catch((err: unknown) => {
          firstError ??= err;
          killAll();
          throw err;
        }),
      ),
    );
    if (settled.some((s) => s.status === 'rejected')) {
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      throw killed ? new SpherecastError('SC_ERR_TRANSCODE', [opts.input, 'stopped']) : firstError;
    }
    const names = opts.plan.video.map((r) => r.name);
    for (const name of names) await stitchRendition({ chunkDirs, outDir: opts.outDir, name });
    await rm(scratch, { recursive: true, force: true });
  })();
  return {
    done,
    kill() {
      killed = true;
      killAll();
    },
    pid() {
      return runs[0].pid();
    },
  };
}
