import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import { layoutJson, layoutJsonUrl, type StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import { addLayoutBoxes } from './layout-boxes';
import { planChunks, type Chunk } from './chunk-plan';
import { CHUNKS_DIR, startChunkedHlsJob } from './chunked-hls-job';
import { renditionPlaylist, startHlsJob, type EncoderTuning, type Progress, type RunningHlsJob, type SegmentFormat } from './ffmpeg-hls-job';
import { isEquirectangular, planRenditions, type Ladder, type Projection, type RenditionPlan, type VideoCodec, type VideoRendition } from './ladder';
import { buildMasterPlaylists, CUBEMAP_MASTER_NAME, MASTER_NAME } from './master-playlist';
import { jobTimeLimitSeconds, type JobTimeLimit } from './job-time-limit';
import { probe, type MediaInfo } from './probe';
import { measureRendition, type MeasuredRendition } from './rendition-measure';
import { safeInputArgs } from './safe-input';
import { viewportListingUrl } from '../shared/layout/viewport-listing';
import { VIEWPORT_MASTER_NAME, viewportListingFor, withViewportRenditions, type ViewportOptions } from './viewport-renditions';
import { detectSourceContainer, type SourceContainer } from './source-container';
import { maxPixelsOf, sourceLimitViolation, type SourceLimits } from './source-limits';

export interface TranscodeOptions {
  readonly input: string;
  /** Receives `<rendition>/index.m3u8`, segments and the master playlists. */
  readonly outDir: string;
  /** The ladder of flat sources. */
  readonly ladder: Ladder;
  /** The ladder of 360 sources (any projection but flat); `ladder` when absent. */
  readonly ladder360?: Ladder;
  /** Codecs every rung is encoded in (h264 by default; rungs above H.264 level 4.2 get HEVC regardless). */
  readonly codecs?: readonly VideoCodec[];
  /** fMP4 (default) or MPEG-TS segments. */
  readonly format?: SegmentFormat;
  /** Per-title pruning: drop a rung within this fraction of the bitrate of the kept rung above it (0 = off). */
  readonly pruneWithin?: number;
  /** Encoder settings per rendition over `preset` and `threads` (per-rung presets and threads). */
  readonly tuning?: (r: VideoRendition) => EncoderTuning | undefined;
  readonly segmentSeconds: number;
  readonly preset: string;
  readonly threads: number;
  /** Most GOP-aligned chunks encoded at once (1 = one ffmpeg run); see planChunks. */
  readonly parallelChunks?: number;
  readonly minChunkSeconds?: number;
  readonly cubemap: boolean;
  /** Orientation-biased renditions of 2:1 mono equirect sources (viewport-renditions.ts); absent or count 0 = none. */
  readonly viewport?: ViewportOptions;
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

/** A rendition's layout: the source's, or a v360 3x2 cubemap of it (same stereo mode and initial view). Pure. */
export function renditionLayout(source: StreamLayout, projection: Projection): StreamLayout {
  return projection === 'cubemap' ? { ...source, projection: 'cubemap' } : source;
}

/** A source checked, probed and planned (TranscodeJob.prepare). */
export interface PreparedJob {
  readonly label: string;
  /** Date.now() when the job began, for its wall time. */
  readonly started: number;
  readonly container: SourceContainer;
  readonly maxPixels: number;
  readonly source: MediaInfo & { readonly video: NonNullable<MediaInfo['video']> };
  readonly layout: StreamLayout;
  readonly format: SegmentFormat;
  readonly plan: RenditionPlan;
}

export interface TranscodeResult {
  readonly container: SourceContainer;
  readonly source: MediaInfo;
  readonly plan: RenditionPlan;
  readonly renditions: readonly MeasuredRendition[];
  /** Master playlist file names in outDir, the main one first. */
  readonly masters: readonly string[];
  /** The source's layout, as written beside the main master and into its renditions. */
  readonly layout: StreamLayout;
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
    return this.encode(await this.prepare());
  }

  /** Checks, probes and plans the job without encoding anything (the fleet plans chunk jobs from this). */
  async prepare(): Promise<PreparedJob> {
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
    const layout = source.video.layout;
    const format = o.format ?? 'fmp4';
    let plan: RenditionPlan;
    try {
      plan = planRenditions(source.video, layout.projection === 'flat' ? o.ladder : (o.ladder360 ?? o.ladder), {
        segmentSeconds: o.segmentSeconds,
        // v360 converts a full mono sphere; a 180 degree or stereo picture would come out wrong.
        cubemap: o.cubemap && layout.projection === 'equirect' && layout.stereo === 'mono',
        pruneWithin: o.pruneWithin,
        codecs: o.codecs,
        // HEVC is carried as hvc1 in fMP4 only; with TS segments every rung stays H.264.
        hevc: format === 'fmp4',
      });
    } catch (err) {
      throw new SpherecastError('SC_ERR_MEDIA', [`${label}: ${(err as Error).message}`]);
    }
    // A full mono sphere only: for 180 degree or stereo pictures the band would land on the wrong part of the frame.
    if (o.viewport && layout.projection === 'equirect' && layout.stereo === 'mono' && isEquirectangular(source.video)) {
      plan = withViewportRenditions(plan, o.viewport);
    }
    return { label, started, container, maxPixels, source: { ...source, video: source.video }, layout, format, plan };
  }

  /** Encodes a prepared job into outDir (one run, or in-process chunks), measures it and writes the masters. */
  async encode(prepared: PreparedJob): Promise<TranscodeResult> {
    const o = this.opts;
    const { label, started, container, maxPixels, source, layout, format, plan } = prepared;
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
        layout,
        format,
        renditions: plan.video.map((r) => `${r.name} ${r.width}x${r.height} ${r.codec} ${Math.round(r.bitrate / 1000)}k`),
        pruned: plan.pruned.map((p) => p.reason),
        audio: `${Math.round(plan.audio.bitrate / 1000)}k`,
        gop: plan.gop,
      },
      'transcode planned',
    );
    if (plan.pruned.length > 0) o.log.info({ pruned: plan.pruned }, `ladder pruned: ${plan.pruned.length} rung(s) left out`);
    await mkdir(o.outDir, { recursive: true });
    // A re-run into the same folder must not leave segments of an earlier, longer run behind.
    const masterNames = [MASTER_NAME, CUBEMAP_MASTER_NAME, VIEWPORT_MASTER_NAME];
    for (const name of [...plan.video.map((r) => r.name), plan.audio.name, ...masterNames, ...masterNames.map(layoutJsonUrl), viewportListingUrl(MASTER_NAME), CHUNKS_DIR]) {
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
      format,
      tuning: new Map(plan.video.flatMap((r) => {
        const t = o.tuning?.(r);
        return t ? [[r.name, t] as const] : [];
      })),
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
    if (format === 'fmp4') {
      for (const r of plan.video) await addLayoutBoxes(join(o.outDir, r.name), renditionLayout(layout, r.projection));
    }
    const masters = buildMasterPlaylists(plan, renditions);
    // The layout JSON goes beside each master, for players that cannot read the boxes.
    for (const file of masters.keys()) {
      const projection: Projection = file === CUBEMAP_MASTER_NAME ? 'cubemap' : 'equirect';
      await writeFile(join(o.outDir, layoutJsonUrl(file)), layoutJson(renditionLayout(layout, projection)));
    }
    const listing = viewportListingFor(plan, renditions);
    if (listing) await writeFile(join(o.outDir, viewportListingUrl(MASTER_NAME)), listing);
    for (const [file, text] of masters) await writeFile(join(o.outDir, file), text);
    const wallSeconds = (Date.now() - started) / 1000;
    const speed = source.duration ? source.duration / wallSeconds : undefined;
    return { container, source, plan, renditions, masters: [...masters.keys()], layout, wallSeconds, speed };
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
