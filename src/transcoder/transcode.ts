import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { planChunks, type Chunk } from './chunk-plan';
import { CHUNKS_DIR, startChunkedHlsJob } from './chunked-hls-job';
import { renditionPlaylist, startHlsJob, type Progress, type RunningHlsJob } from './ffmpeg-hls-job';
import { planRenditions, type Ladder, type RenditionPlan } from './ladder';
import { buildMasterPlaylists, CUBEMAP_MASTER_NAME, MASTER_NAME } from './master-playlist';
import { jobTimeLimitSeconds, type JobTimeLimit } from './job-time-limit';
import { probe, type MediaInfo } from './probe';
import { measureRendition, type MeasuredRendition } from './rendition-measure';
import { safeInputArgs } from './safe-input';
import { detectSourceContainer, type SourceContainer } from './source-container';
import { maxPixelsOf, sourceLimitViolation, type SourceLimits } from './source-limits';

export interface TranscodeOptions {
  readonly input: string;
  /** Receives `<rendition>/index.m3u8`, segments and the master playlists. */
  readonly outDir: string;
  readonly ladder: Ladder;
  readonly segmentSeconds: number;
  readonly preset: string;
  readonly threads: number;
  /** Most GOP-aligned chunks encoded at once (1 = one ffmpeg run); see planChunks. */
  readonly parallelChunks?: number;
  readonly minChunkSeconds?: number;
  readonly cubemap: boolean;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** Largest source accepted (checked from the probe, before decoding). */
  readonly sourceLimits: SourceLimits;
  /** Wall-clock limit of the probe. */
  readonly probeTimeoutSeconds: number;
  /** Wall-clock limit of the rest of the job, from the source's duration. */
  readonly jobTimeLimit: JobTimeLimit;
  readonly log: Logger;
  /** Names the source in errors and logs (an object key rather than a scratch path). */
  readonly label?: string;
  readonly onProgress?: (p: Progress) => void;
  readonly progressEveryMs?: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TranscodeResult {
  readonly container: SourceContainer;
  readonly source: MediaInfo;
  readonly plan: RenditionPlan;
  readonly renditions: readonly MeasuredRendition[];
  /** Master playlist file names in outDir, the main one first. */
  readonly masters: readonly string[];
  readonly wallSeconds: number;
  /** Source seconds per wall-clock second. */
  readonly speed?: number;
}

/**
 * One job on local files: check the container against the allow-list, probe it (time-limited,
 * container forced), check its size against the limits, plan the ladder, one ffmpeg run to HLS
 * (or, for a long source with PARALLEL_CHUNKS > 1, GOP-aligned chunks each run straight to HLS at
 * once and stitched), measure what came out, write the masters last. stop() kills the probe or
 * ffmpeg; run() then rejects with SC_ERR_TRANSCODE "stopped". Past its time limit the job kills
 * ffmpeg itself and rejects with SC_ERR_TIME_LIMIT.
 */
export class TranscodeJob {
  private ffmpeg: RunningHlsJob | undefined;
  private stopped = false;
  private timedOut = false;
  /** Stops the ffprobe runs (source probe, rendition measurements). */
  private readonly probeAbort = new AbortController();

  constructor(private readonly opts: TranscodeOptions) {}

  async run(): Promise<TranscodeResult> {
    const o = this.opts;
    const label = o.label ?? o.input;
    const started = Date.now();
    const container = await detectSourceContainer(o.input, label);
    const maxPixels = maxPixelsOf(o.sourceLimits);
    const source = await probe(o.input, {
      ffprobePath: o.ffprobePath,
      container,
      maxPixels,
      timeoutMs: o.probeTimeoutSeconds * 1000,
      signal: this.probeAbort.signal,
      label,
    });
    if (source.video) {
      const over = sourceLimitViolation(source.video, o.sourceLimits);
      if (over) throw new SpherecastError('SC_ERR_MEDIA_REFUSED', [label, over]);
    }
    if (!source.video && !source.audio) throw new SpherecastError('SC_ERR_MEDIA', [`${label}: no video or audio stream`]);
    if (!source.video) throw new SpherecastError('SC_ERR_MEDIA', [`${label}: audio-only source (no video stream to transcode)`]);
    if (!source.audio) throw new SpherecastError('SC_ERR_MEDIA', [`${label}: video-only source (no audio stream; every rendition carries AAC audio)`]);
    let plan: RenditionPlan;
    try {
      plan = planRenditions(source.video, o.ladder, { segmentSeconds: o.segmentSeconds, cubemap: o.cubemap });
    } catch (err) {
      throw new SpherecastError('SC_ERR_MEDIA', [`${label}: ${(err as Error).message}`]);
    }
    const chunks: Chunk[] = planChunks({
      duration: source.duration,
      segmentSeconds: plan.segmentSeconds,
      parallel: o.parallelChunks ?? 1,
      minChunkSeconds: o.minChunkSeconds ?? plan.segmentSeconds,
    });
    const limitSeconds = jobTimeLimitSeconds(source.duration, o.jobTimeLimit);
    o.log.info(
      {
        container: container.name,
        timeLimitSeconds: limitSeconds,
        chunks: chunks.length,
        source: { width: source.video.width, height: source.video.height, fps: source.video.fps, duration: source.duration },
        renditions: plan.video.map((r) => `${r.name} ${r.width}x${r.height} ${Math.round(r.bitrate / 1000)}k`),
        audio: `${Math.round(plan.audio.bitrate / 1000)}k`,
        gop: plan.gop,
      },
      'transcode planned',
    );
    await mkdir(o.outDir, { recursive: true });
    // A re-run into the same folder must not leave segments of an earlier, longer run behind.
    for (const name of [...plan.video.map((r) => r.name), plan.audio.name, MASTER_NAME, CUBEMAP_MASTER_NAME, CHUNKS_DIR]) {
      await rm(join(o.outDir, name), { recursive: true, force: true });
    }
    if (this.stopped) throw new SpherecastError('SC_ERR_TRANSCODE', [label, 'stopped']);
    const hlsJob = {
      input: o.input,
      inputArgs: safeInputArgs(container, maxPixels),
      outDir: o.outDir,
      plan,
      preset: o.preset,
      threads: o.threads,
      ffmpegPath: o.ffmpegPath,
      log: o.log,
      duration: source.duration,
      onProgress: o.onProgress,
      progressEveryMs: o.progressEveryMs,
    };
    const timer = setTimeout(() => {
      this.timedOut = true;
      o.log.warn({ timeLimitSeconds: limitSeconds }, 'job over its time limit: ffmpeg killed');
      this.ffmpeg?.kill();
      this.probeAbort.abort();
      // setTimeout's own ceiling is about 24.8 days.
    }, Math.min(limitSeconds * 1000, MAX_TIMER_MS));
    let renditions: MeasuredRendition[];
    try {
      this.ffmpeg = chunks.length > 1 ? startChunkedHlsJob({ ...hlsJob, chunks }) : startHlsJob(hlsJob);
      try {
        await this.ffmpeg.done;
      } finally {
        this.ffmpeg = undefined;
      }
      if (this.timedOut) throw new Error('timed out');
      const names = [...plan.video.map((r) => r.name), plan.audio.name];
      renditions = await Promise.all(
        names.map((name) =>
          measureRendition({ playlistPath: renditionPlaylist(o.outDir, name), name, ffprobePath: o.ffprobePath, signal: this.probeAbort.signal }),
        ),
      );
    } catch (err) {
      if (this.timedOut && !this.stopped) throw new SpherecastError('SC_ERR_TIME_LIMIT', [`transcode of ${label}`, String(limitSeconds)]);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const masters = buildMasterPlaylists(plan, renditions);
    for (const [file, text] of masters) await writeFile(join(o.outDir, file), text);
    const wallSeconds = (Date.now() - started) / 1000;
    const speed = source.duration ? source.duration / wallSeconds : undefined;
    return { container, source, plan, renditions, masters: [...masters.keys()], wallSeconds, speed };
  }

  /** Kills the running probe or ffmpeg (or keeps them from starting). */
  stop(): void {
    this.stopped = true;
    this.probeAbort.abort();
    this.ffmpeg?.kill();
  }

  ffmpegPid(): number | undefined {
    return this.ffmpeg?.pid();
  }
}
