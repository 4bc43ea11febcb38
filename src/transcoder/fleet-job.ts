import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import { parseMediaPlaylist, writeMediaPlaylist } from '../shared/hls-playlist';
import type { JobQueue, QueueMessage } from '../shared/job-queue';
import { layoutJson, layoutJsonUrl, type StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { planChunks, type Chunk } from './chunk-plan';
import { CHUNK_TS_BASE } from './chunked-hls-job';
import { succeededNotice, type CompletionNotice } from './completion-notice';
import { startHlsJob, type RunningHlsJob, type SegmentFormat } from './ffmpeg-hls-job';
import { fleetKeys, fleetJobId, initSegmentName, type FleetKeys } from './fleet-keys';
import { fleetMessageBody, MAX_CHUNKS, type FleetMessage, type FleetSource } from './fleet-message';
import { fleetMeasuredRendition, fleetRenditionPlaylist, MAX_RESULT_BYTES, parseTaskResult, stitchAction, type ResultRendition, type TaskResult } from './fleet-stitch';
import { stitchedSegmentName } from './hls-stitch';
import { jobTimeLimitSeconds } from './job-time-limit';
import type { Projection, RenditionPlan } from './ladder';
import { addLayoutBoxes } from './layout-boxes';
import { buildMasterPlaylists, CUBEMAP_MASTER_NAME, MASTER_NAME } from './master-playlist';
import { viewportListingFor } from './viewport-renditions';
import { viewportListingUrl } from '../shared/layout/viewport-listing';
import { publishCard, publishPosterImage } from './poster';
import type { MediaInfo } from './probe';
import { headersFor, PLAYLIST_CACHE_CONTROL, publishAsset } from './publisher';
import { measureRendition } from './rendition-measure';
import { safeInputArgs } from './safe-input';
import { detectSourceContainer } from './source-container';
import { maxPixelsOf } from './source-limits';
import type { SourceCache } from './source-cache';
import type { PreparedJob } from './transcode';
import { renditionLayout } from './transcode';
import type { TranscodeSettings } from './worker';

/**
 * One long recording transcoded by the whole fleet: GOP-aligned chunks of the source (the chunk
 * plan of chunk-plan.ts, CHUNK_SECONDS long) are jobs on the same queue as the recordings, which
 * any worker takes; the audio is one more job; a stitch publishes the master. Workers coordinate
 * through the egress store and the queue only (keys in fleet-keys.ts).
 *
 * Every step is safe to repeat, so a worker SIGKILLed at any point costs at most the task it was
 * on, which the queue hands out again after its visibility timeout:
 *
 * 1. Plan (the worker that received the S3 event): probe, plan the renditions and chunks, write
 *    job.json (write-once), send one message per chunk not yet done and one for the audio, then
 *    delete the event. Killed before the delete: the event comes back and finds the same job (its
 *    id comes from the event) with its plan; chunk messages sent twice find their result and stop.
 * 2. Chunk / audio: encode, store every segment under its final asset-wide name, then the result
 *    object last, write-once (so a result means its segments are all there, and never changes).
 *    Then look for every result; if
 *    all are there, send the stitch; then delete the task's message. Killed before the delete: the
 *    task comes back, finds its result, checks again and sends the stitch if it is due. Two tasks
 *    finishing at once may both see every result and both send a stitch; the stitch copes. A
 *    chunk run twice at once (a worker paused past its visibility timeout) writes the same keys
 *    with interchangeable segments (same boundaries, an IDR frame first, the same init segment).
 * 3. Stitch: see stitchAction. The master is published by the one delivery that creates the
 *    write-once `published` object (or by a redelivery of a publisher that died); everything it
 *    writes is computed from the results alone, so writing it again gives the same bytes.
 *
 * Every task is thus at least once; the master is published once (twice with the same bytes only
 * if its publisher dies between the master and `done`); the notice is sent once unless a
 * publisher dies between the notice and `done` (then again, as notices are at least once).
 */
export interface FleetJobsOptions {
  readonly queue: JobQueue;
  readonly ingress: ObjectStore;
  /** Where tasks get the source: one download per worker and source, not per task. */
  readonly sources: SourceCache;
  readonly egress: ObjectStore;
  readonly transcode: TranscodeSettings;
  /** CHUNK_SECONDS: a recording longer than this is split into chunks at least this long (fleetChunks). */
  readonly chunkSeconds: number;
  /** POSTER_TIMEOUT in seconds (0 = no poster or card). */
  readonly posterTimeoutSeconds: number;
  readonly vodBaseUrl?: string;
  readonly log: Logger;
  readonly notify: (notice: CompletionNotice) => Promise<void>;
}

/** What the planner writes and every task reads (job.json). */
export interface FleetPlan {
  readonly job: string;
  readonly asset: string;
  readonly source: FleetSource;
  readonly info: MediaInfo;
  readonly layout: StreamLayout;
  readonly format: SegmentFormat;
  readonly plan: RenditionPlan;
  readonly chunks: readonly Chunk[];
}

const MAX_PLAN_BYTES = 1024 * 1024;

/** A task's source file and how ffmpeg may open it. */
interface TaskSource {
  readonly input: string;
  readonly inputArgs: string[];
  readonly maxPixels: number;
  readonly container: Awaited<ReturnType<typeof detectSourceContainer>>;
}

/** The task being run, so the worker can stop it (close(), a Spot notice). */
export interface FleetControl {
  cancelled: boolean;
  stop?: () => void;
}

export interface FleetTaskContext {
  readonly msg: QueueMessage;
  readonly task: FleetMessage;
  /** Relative to the ingress store, and the asset it makes. */
  readonly key: string;
  readonly asset: string;
  /** A scratch folder of this task's own (the caller removes it). */
  readonly dir: string;
  readonly control: FleetControl;
  readonly log: Logger;
}

/**
 * The chunks a recording is split into: as many as fit with each at least `chunkSeconds` in whole
 * segments (the last may be shorter), as equal as whole segments allow. One chunk means the
 * ordinary single-job path. Pure.
 */
export function fleetChunks(duration: number | undefined, segmentSeconds: number, chunkSeconds: number): Chunk[] {
  if (!(chunkSeconds > 0) || !duration || !(duration > 0)) return [{ index: 0, start: 0 }];
  return planChunks({ duration, segmentSeconds, parallel: Math.min(MAX_CHUNKS, Math.ceil(duration / chunkSeconds)), minChunkSeconds: chunkSeconds });
}

export class FleetJobs {
  constructor(private readonly opts: FleetJobsOptions) {}

  /** The chunks of a prepared job (one: not a fleet job). */
  chunksOf(prepared: PreparedJob): Chunk[] {
    return this.opts.chunkSeconds > 0 ? fleetChunks(prepared.source.duration, prepared.plan.segmentSeconds, this.opts.chunkSeconds) : [{ index: 0, start: 0 }];
  }

  /** Step 1: job.json, then the task messages. The caller deletes the event afterwards. */
  async plan(o: { source: FleetSource; eventTime?: string; asset: string; prepared: PreparedJob; chunks: readonly Chunk[]; dir: string; log: Logger }): Promise<string> {
    const job = fleetJobId(o.source, o.eventTime);
    const keys = fleetKeys(o.asset, job);
    const p = o.prepared;
    const mine: FleetPlan = { job, asset: o.asset, source: o.source, info: p.source, layout: p.layout, format: p.format, plan: p.plan, chunks: o.chunks };
    // Write-once: a planner delivered again (perhaps after a configuration change) keeps to the plan
    // the tasks already work from.
    const plan = (await this.opts.egress.createBuffer(keys.plan, JSON.stringify(mine), { contentType: 'application/json' }))
      ? mine
      : await this.readPlan(keys, { job, asset: o.asset, sourceKey: o.source.key }, o.dir);
    let sent = 0;
    for (const c of plan.chunks) {
      if (await this.opts.egress.head(keys.chunkResult(c.index))) continue;
      await this.opts.queue.send(fleetMessageBody({ task: 'chunk', job, source: o.source, index: c.index }));
      sent++;
    }
    if (!(await this.opts.egress.head(keys.audioResult))) {
      await this.opts.queue.send(fleetMessageBody({ task: 'audio', job, source: o.source }));
      sent++;
    }
    o.log.info({ job, chunks: plan.chunks.length, messages: sent, chunkSeconds: this.opts.chunkSeconds }, 'job planned for the fleet');
    return job;
  }

  /** Steps 2 and 3; resolves when the task's message may be deleted. */
  async run(ctx: FleetTaskContext): Promise<void> {
    const keys = fleetKeys(ctx.asset, ctx.task.job);
    const plan = await this.readPlan(keys, { job: ctx.task.job, asset: ctx.asset, sourceKey: ctx.task.source.key }, ctx.dir);
    if (ctx.task.task === 'stitch') return this.stitch(ctx, keys, plan);
    const index = ctx.task.index ?? -1;
    if (ctx.task.task === 'chunk' && index >= plan.chunks.length) {
      throw new SpherecastError('SC_ERR_BAD_MESSAGE', [`fleet message: chunk ${index} of a job of ${plan.chunks.length} chunks`]);
    }
    const resultKey = ctx.task.task === 'chunk' ? keys.chunkResult(index) : keys.audioResult;
    if (await this.opts.egress.head(resultKey)) {
      ctx.log.info({ job: plan.job, task: ctx.task.task, index: ctx.task.index }, 'task already done (its result is stored)');
    } else {
      const result = ctx.task.task === 'chunk' ? await this.encodeChunk(ctx, plan, plan.chunks[index]) : await this.encodeAudio(ctx, plan);
      // Last: a result in the store means every segment it lists is there. Write-once, so a stitch
      // run again reads what the first one read (a second run of the chunk racing this one may
      // replace segments with interchangeable ones, never the result).
      await this.opts.egress.createBuffer(resultKey, JSON.stringify(result), { contentType: 'application/json' });
    }
    if (await this.allResultsIn(keys, plan)) {
      await this.opts.queue.send(fleetMessageBody({ task: 'stitch', job: plan.job, source: plan.source }));
      ctx.log.info({ job: plan.job }, 'every chunk is in: stitch queued');
    }
  }

  /** The job's plan as stored, checked against what names it (a message, or the planner's own event). */
  private async readPlan(keys: FleetKeys, want: { job: string; asset: string; sourceKey: string }, dir: string): Promise<FleetPlan> {
    const text = await this.readSmall(keys.plan, MAX_PLAN_BYTES, dir);
    if (text === undefined) throw new SpherecastError('SC_ERR_NOT_FOUND', [`fleet job ${want.job}: ${keys.plan}`]);
    let plan: FleetPlan;
    try {
      plan = JSON.parse(text) as FleetPlan;
    } catch (err) {
      throw new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${want.job}`, `job.json is not JSON (${(err as Error).message})`]);
    }
    const ok =
      plan?.job === want.job &&
      plan.asset === want.asset &&
      plan.source?.key === want.sourceKey &&
      Array.isArray(plan.chunks) &&
      plan.chunks.length >= 1 &&
      plan.chunks.length <= MAX_CHUNKS &&
      Array.isArray(plan.plan?.video) &&
      (plan.format === 'fmp4' || plan.format === 'ts');
    if (!ok) throw new SpherecastError('SC_ERR_TRANSCODE', [`fleet job ${want.job}`, 'job.json does not match the message']);
    return plan;
  }

  /** A small object's text, or undefined when there is none; larger than `max` is an error, not a download. */
  private async readSmall(key: string, max: number, dir: string): Promise<string | undefined> {
    const info = await this.opts.egress.head(key);
    if (!info) return undefined;
    if (info.size > max) throw new SpherecastError('SC_ERR_TRANSCODE', [key, `${info.size} bytes, over ${max}`]);
    const file = join(dir, `read-${randomBytes(6).toString('hex')}.json`);
    try {
      await this.opts.egress.getToFile(key, file);
      const text = await readFile(file);
      if (text.length > max) throw new SpherecastError('SC_ERR_TRANSCODE', [key, `${text.length} bytes, over ${max}`]);
      return text.toString('utf8');
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Chunks in order, then the audio; stops at the first missing one. */
  private async allResultsIn(keys: FleetKeys, plan: FleetPlan): Promise<boolean> {
    for (const c of plan.chunks) if (!(await this.opts.egress.head(keys.chunkResult(c.index)))) return false;
    return (await this.opts.egress.head(keys.audioResult)) !== undefined;
  }

  /** The source, for `use`; released when it settles. */
  private async withSource<T>(ctx: FleetTaskContext, use: (src: TaskSource) => Promise<T>): Promise<T> {
    const held = await this.opts.sources.acquire(ctx.key);
    try {
      const input = held.path;
      const container = await detectSourceContainer(input, ctx.key);
      const maxPixels = maxPixelsOf(this.opts.transcode.sourceLimits);
      return await use({ input, inputArgs: safeInputArgs(container, maxPixels), maxPixels, container });
    } finally {
      held.release();
    }
  }

  /** Runs one ffmpeg under the job time limit of `seconds` of source, stoppable through ctx.control. */
  private async encode(ctx: FleetTaskContext, seconds: number | undefined, start: () => RunningHlsJob): Promise<void> {
    if (ctx.control.cancelled) throw new SpherecastError('SC_ERR_TRANSCODE', [ctx.key, 'stopped']);
    const limit = jobTimeLimitSeconds(seconds, this.opts.transcode.jobTimeLimit);
    const run = start();
    let timedOut = false;
    ctx.control.stop = () => run.kill();
    const timer = setTimeout(() => {
      timedOut = true;
      ctx.log.warn({ timeLimitSeconds: limit }, 'task over its time limit: ffmpeg killed');
      run.kill();
    }, Math.min(limit * 1000, 2 ** 31 - 1));
    try {
      await run.done;
    } catch (err) {
      if (timedOut && !ctx.control.cancelled) throw new SpherecastError('SC_ERR_TIME_LIMIT', [`${ctx.task.task} of ${ctx.key}`, String(limit)]);
      throw err;
    } finally {
      clearTimeout(timer);
      ctx.control.stop = undefined;
    }
  }

  private hlsJob(plan: FleetPlan, src: { input: string; inputArgs: string[] }, outDir: string, log: Logger) {
    const t = this.opts.transcode;
    return {
      input: src.input,
      inputArgs: src.inputArgs,
      outDir,
      plan: plan.plan,
      preset: t.preset,
      threads: t.threads,
      ffmpegPath: t.ffmpegPath,
      log,
      format: plan.format,
      tuning: new Map(plan.plan.video.flatMap((r) => {
        const x = t.tuning?.(r);
        return x ? [[r.name, x] as const] : [];
      })),
      progressEveryMs: t.progressEveryMs,
      onProgress: (p: unknown) => log.info(p, 'progress'),
    };
  }

  private encodeChunk(ctx: FleetTaskContext, plan: FleetPlan, chunk: Chunk): Promise<TaskResult> {
    return this.withSource(ctx, (src) => this.encodeChunkOf(ctx, plan, chunk, src));
  }

  private async encodeChunkOf(ctx: FleetTaskContext, plan: FleetPlan, chunk: Chunk, src: TaskSource): Promise<TaskResult> {
    const log = ctx.log.child({ job: plan.job, chunk: chunk.index });
    const out = join(ctx.dir, 'out');
    const duration = chunk.duration ?? Math.max(0, (plan.info.duration ?? 0) - chunk.start);
    log.info({ start: chunk.start, duration: chunk.duration ?? 'to the end', of: plan.chunks.length }, 'chunk started');
    await this.encode(ctx, duration, () =>
      startHlsJob({ ...this.hlsJob(plan, src, out, log), duration, streams: 'video', seek: { start: chunk.start, duration: chunk.duration }, tsOffset: CHUNK_TS_BASE + chunk.start }),
    );
    const seg = plan.plan.segmentSeconds;
    const first = Math.round(chunk.start / seg);
    const expected = chunk.duration === undefined ? undefined : Math.round(chunk.duration / seg);
    const renditions: ResultRendition[] = [];
    for (const r of plan.plan.video) {
      const dir = join(out, r.name);
      if (plan.format === 'fmp4') await addLayoutBoxes(dir, renditionLayout(plan.layout, r.projection));
      renditions.push(await this.collect(ctx, dir, r.name, first, expected));
    }
    await publishAsset({ store: this.opts.egress, outDir: out, prefix: ctx.asset, masters: [], log, done: 'segments stored' });
    log.info({ renditions: renditions.length, segments: renditions[0]?.segments.length }, 'chunk done');
    return { job: plan.job, renditions };
  }

  private encodeAudio(ctx: FleetTaskContext, plan: FleetPlan): Promise<TaskResult> {
    return this.withSource(ctx, (src) => this.encodeAudioOf(ctx, plan, src));
  }

  private async encodeAudioOf(ctx: FleetTaskContext, plan: FleetPlan, src: TaskSource): Promise<TaskResult> {
    const log = ctx.log.child({ job: plan.job, task: 'audio' });
    const out = join(ctx.dir, 'out');
    log.info('audio started');
    await this.encode(ctx, plan.info.duration, () => startHlsJob({ ...this.hlsJob(plan, src, out, log), duration: plan.info.duration, streams: 'audio', tsOffset: CHUNK_TS_BASE }));
    const rendition = await this.collect(ctx, join(out, plan.plan.audio.name), plan.plan.audio.name, 0, undefined);
    await publishAsset({ store: this.opts.egress, outDir: out, prefix: ctx.asset, masters: [], log, done: 'segments stored' });
    // The poster needs the source, which this task has whole; the stitch writes the card naming it.
    const poster =
      this.opts.posterTimeoutSeconds > 0
        ? await publishPosterImage({
            store: this.opts.egress,
            prefix: ctx.asset,
            outDir: ctx.dir,
            master: MASTER_NAME,
            input: src.input,
            container: src.container,
            maxPixels: src.maxPixels,
            ffmpegPath: this.opts.transcode.ffmpegPath,
            timeoutMs: this.opts.posterTimeoutSeconds * 1000,
            log,
            duration: plan.info.duration,
            layout: plan.layout,
          })
        : undefined;
    log.info({ segments: rendition.segments.length }, 'audio done');
    return { job: plan.job, renditions: [rendition], ...(poster ? { poster } : {}) };
  }

  /**
   * Measures a rendition of this task's output, renames its segments to their asset-wide numbers
   * (from `first`) and its init segment to its content name, and removes its playlist (the stitch
   * writes the real one): the folder is then exactly what to upload.
   */
  private async collect(ctx: FleetTaskContext, dir: string, name: string, first: number, expected: number | undefined): Promise<ResultRendition> {
    const written = parseMediaPlaylist(await readFile(join(dir, 'index.m3u8'), 'utf8'));
    // The container's duration can run past the last video frame (audio a little longer): a last
    // chunk that starts there gets an empty segment, which holds no frame and is left out.
    const playlist = expected === undefined && first > 0 ? { ...written, segments: written.segments.filter((s) => s.duration > 0) } : written;
    if (playlist.segments.length === 0 && expected === undefined && first > 0) {
      ctx.log.info({ rendition: name }, 'the last chunk starts after the last frame: no segments');
      await rm(dir, { recursive: true, force: true });
      return { name, kind: 'video', codec: 'none', segments: [] };
    }
    const measured = await measureRendition({ playlistPath: join(dir, 'index.m3u8'), name, ffprobePath: this.opts.transcode.ffprobePath });
    if (expected !== undefined && playlist.segments.length !== expected) {
      throw new SpherecastError('SC_ERR_TRANSCODE', [ctx.key, `${name}: a chunk of ${expected} segments came out as ${playlist.segments.length}`]);
    }
    const map = playlist.segments[0]?.map;
    if (playlist.segments.some((s) => s.map !== map || s.uri.includes('/') || s.map?.includes('/'))) {
      throw new SpherecastError('SC_ERR_TRANSCODE', [ctx.key, `${name}: unexpected segment or init URIs`]);
    }
    let init: string | undefined;
    if (map !== undefined) {
      init = initSegmentName(await readFile(join(dir, map)));
      await rename(join(dir, map), join(dir, init));
    }
    const sizes = await Promise.all(playlist.segments.map(async (s) => (await stat(join(dir, s.uri))).size));
    const segments = playlist.segments.map((s, k) => {
      const dot = s.uri.lastIndexOf('.');
      return { from: s.uri, uri: stitchedSegmentName(first + k, dot > 0 ? s.uri.slice(dot) : '.ts'), duration: s.duration, bytes: sizes[k] };
    });
    // Two passes: a new name may be an old name of a later segment.
    for (const s of segments) await rename(join(dir, s.from), join(dir, `${s.from}.tmp`));
    for (const s of segments) await rename(join(dir, `${s.from}.tmp`), join(dir, s.uri));
    await rm(join(dir, 'index.m3u8'), { force: true });
    for (const f of await readdir(dir)) {
      if (f !== init && !segments.some((s) => s.uri === f)) await rm(join(dir, f), { force: true, recursive: true });
    }
    return {
      name,
      kind: measured.kind,
      codec: measured.codec,
      ...(measured.width !== undefined ? { width: measured.width } : {}),
      ...(measured.height !== undefined ? { height: measured.height } : {}),
      ...(measured.frameRate !== undefined ? { frameRate: measured.frameRate } : {}),
      ...(measured.channels !== undefined ? { channels: measured.channels } : {}),
      ...(init !== undefined ? { init } : {}),
      segments: segments.map(({ uri, duration, bytes }) => ({ uri, duration, bytes })),
    };
  }

  private async stitch(ctx: FleetTaskContext, keys: FleetKeys, plan: FleetPlan): Promise<void> {
    const log = ctx.log.child({ job: plan.job, task: 'stitch' });
    const store = this.opts.egress;
    const facts = { done: (await store.head(keys.done)) !== undefined, missing: (await this.allResultsIn(keys, plan)) ? 0 : 1, redelivered: ctx.msg.receiveCount > 1 };
    let action = stitchAction(facts);
    if (action === 'claim') {
      const created = await store.createBuffer(keys.published, `${plan.job}\n`, { contentType: 'text/plain' });
      action = stitchAction({ ...facts, published: created ? 'created' : 'existed' });
    }
    if (action === 'incomplete') throw new SpherecastError('SC_ERR_TRANSCODE', [ctx.key, `fleet job ${plan.job}: stitch before every chunk is in`]);
    if (action === 'nothing') {
      log.info('stitch: published by another delivery; nothing to do');
      return;
    }
    const read = async (key: string): Promise<TaskResult> => {
      const text = await this.readSmall(key, MAX_RESULT_BYTES, ctx.dir);
      if (text === undefined) throw new SpherecastError('SC_ERR_NOT_FOUND', [key]);
      return parseTaskResult(text, plan.job);
    };
    const chunks: TaskResult[] = [];
    for (const c of plan.chunks) chunks.push(await read(keys.chunkResult(c.index)));
    const audio = await read(keys.audioResult);
    const names = [...plan.plan.video.map((r) => ({ name: r.name, results: chunks })), { name: plan.plan.audio.name, results: [audio] }];
    const measured = [];
    for (const { name, results } of names) {
      const playlist = fleetRenditionPlaylist(results, name);
      measured.push(fleetMeasuredRendition(results, name, playlist));
      const key = `${ctx.asset}/${name}/index.m3u8`;
      await store.putBuffer(key, writeMediaPlaylist(playlist), headersFor(key));
    }
    const masters = buildMasterPlaylists(plan.plan, measured);
    for (const file of masters.keys()) {
      const projection: Projection = file === CUBEMAP_MASTER_NAME ? 'cubemap' : 'equirect';
      const key = `${ctx.asset}/${layoutJsonUrl(file)}`;
      await store.putBuffer(key, layoutJson(renditionLayout(plan.layout, projection)), { contentType: 'application/json', cacheControl: PLAYLIST_CACHE_CONTROL });
    }
    const listing = viewportListingFor(plan.plan, measured);
    if (listing) {
      const key = `${ctx.asset}/${viewportListingUrl(MASTER_NAME)}`;
      await store.putBuffer(key, listing, { contentType: 'application/json', cacheControl: PLAYLIST_CACHE_CONTROL });
    }
    // The main master last of all: a reader that finds it finds everything it names.
    for (const [file, text] of [...masters].reverse()) await store.putBuffer(`${ctx.asset}/${file}`, text, headersFor(`${ctx.asset}/${file}`));
    const main = [...masters.keys()][0];
    log.info({ master: `${ctx.asset}/${main}`, renditions: measured.length, chunks: plan.chunks.length }, 'master published');
    if (this.opts.posterTimeoutSeconds > 0) {
      // The card lists the ladder (a viewer picks from it), not the viewport renditions.
      const ladder = measured.filter((m) => !plan.plan.video.some((r) => r.name === m.name && r.viewportYaw !== undefined));
      await publishCard({ store, prefix: ctx.asset, master: main, source: plan.info, renditions: ladder, now: new Date(), log, layout: plan.layout, poster: audio.poster }).catch((err) =>
        log.warn({ code: (err as { code?: string }).code }, `no asset card: ${(err as Error).message}`),
      );
    }
    await this.opts.notify(
      succeededNotice({
        asset: ctx.asset,
        source: { bucket: plan.source.bucket, key: plan.source.key },
        masters: [...masters.keys()],
        renditions: measured,
        duration: plan.info.duration,
        vodBaseUrl: this.opts.vodBaseUrl,
        storeLocation: store.location,
        time: new Date(),
      }),
    );
    await store.putBuffer(keys.done, `${plan.job}\n`, { contentType: 'text/plain' });
  }
}
