import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpherecastError, isScError } from '../shared/errors';
import type { JobQueue, QueueMessage } from '../shared/job-queue';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { parseS3Event, type S3Event, type S3EventObject } from '../shared/s3-event';
import { failedNotice, succeededNotice, type CompletionNotice } from './completion-notice';
import type { Notifiers } from './notifier';
import { isPermanentFailure } from './permanent-failure';
import { publishPoster } from './poster';
import { publishAsset } from './publisher';
import { maxPixelsOf } from './source-limits';
import { assetName, isVideoKey } from './source-key';
import { FleetJobs, type FleetControl } from './fleet-job';
import { FLEET_ETAG, parseFleetMessage, type FleetMessage } from './fleet-message';
import { SourceCache, type HeldSource } from './source-cache';
import { TranscodeJob, type TranscodeOptions, type TranscodeResult } from './transcode';
import type { TranscoderMetrics } from './transcoder-metrics';

export type TranscodeSettings = Pick<
  TranscodeOptions,
  | 'ladder'
  | 'ladder360'
  | 'codecs'
  | 'format'
  | 'pruneWithin'
  | 'tuning'
  | 'segmentSeconds'
  | 'preset'
  | 'threads'
  | 'parallelChunks'
  | 'minChunkSeconds'
  | 'cubemap'
  | 'viewport'
  | 'ffmpegPath'
  | 'ffprobePath'
  | 'progressEveryMs'
  | 'sourceLimits'
  | 'probeTimeoutSeconds'
  | 'jobTimeLimit'
>;

export interface WorkerOptions {
  readonly queue: JobQueue;
  readonly ingress: ObjectStore;
  readonly egress: ObjectStore;
  /** Jobs download and transcode in folders created (and removed) under here. */
  readonly scratchDir: string;
  readonly concurrency: number;
  readonly visibilitySeconds: number;
  readonly receiveWaitSeconds: number;
  readonly transcode: TranscodeSettings;
  readonly log: Logger;
  readonly metrics?: TranscoderMetrics;
  /** Told of every job that succeeded or failed for good. */
  readonly notifiers?: Notifiers;
  /** Public base URL of the egress store, for the master URL in notices. */
  readonly vodBaseUrl?: string;
  /** POSTER_TIMEOUT in seconds; 0 = no poster and card (see poster.ts). */
  readonly posterTimeoutSeconds?: number;
  /** CHUNK_SECONDS: longer recordings are transcoded by the fleet (fleet-job.ts); 0 or absent = never. */
  readonly chunkSeconds?: number;
}

interface Active extends FleetControl {
  readonly msg: QueueMessage;
}

/** After a failed receive (queue unreachable), wait this long before the next, doubling to the cap. */
const RECEIVE_RETRY_MS = [500, 30_000] as const;

/**
 * The queue consumer: CONCURRENCY loops, each long-polling for one message and running its job.
 *
 * - A job's message is deleted only after its master playlist is published. While it runs, its
 *   visibility is extended every third of the visibility timeout.
 * - A job that fails for good (see permanent-failure.ts: bad or refused media, over a limit) is
 *   dead-lettered at once with its reason. Any other failure is logged and its message left
 *   alone: it reappears after the visibility timeout and, after maxReceiveCount receives, goes to
 *   the dead-letter queue. The worker goes on.
 * - Success and failure for good are both announced to the notifiers (SNS, webhook).
 * - `s3:TestEvent`s and keys that are not video, not in this bucket or not under the ingress
 *   prefix are acknowledged (deleted) with a log line: no retry could make them work.
 * - A malformed message (not an S3 notification) is logged and NOT deleted, so it ends up in the
 *   dead-letter queue with its body intact for someone to look at, rather than silently vanishing
 *   (it may be a real job in a format this version does not read yet).
 * - close() stops receiving, kills running ffmpegs and releases their messages (visible again at
 *   once) so another worker picks them up without waiting out the visibility timeout.
 */
export class TranscodeWorker {
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private readonly active = new Set<Active>();
  private slots: Array<Promise<void>> = [];
  private readonly ingressPrefix: string;

  /** Runs fleet tasks always (a worker with CHUNK_SECONDS=0 still helps others' jobs); plans them only when CHUNK_SECONDS > 0. */
  private readonly fleet: FleetJobs;
  /** Sources downloaded once per worker, not once per task of a fleet job. */
  private readonly sources: SourceCache;

  constructor(private readonly opts: WorkerOptions) {
    this.log = opts.log.child({ component: 'transcode-worker' });
    this.sources = new SourceCache({ dir: join(opts.scratchDir, 'sources'), store: opts.ingress, log: this.log });
    this.fleet = new FleetJobs({
      sources: this.sources,
      queue: opts.queue,
      ingress: opts.ingress,
      egress: opts.egress,
      transcode: opts.transcode,
      chunkSeconds: opts.chunkSeconds ?? 0,
      posterTimeoutSeconds: opts.posterTimeoutSeconds ?? 0,
      vodBaseUrl: opts.vodBaseUrl,
      log: this.log,
      notify: (notice) => this.notify(notice),
    });
    // S3 events carry full keys; a store opened on s3://bucket/prefix takes keys relative to it.
    const store = opts.ingress as ObjectStore & { bucketKey?: (key: string) => string };
    this.ingressPrefix = typeof store.bucketKey === 'function' ? store.bucketKey('') : '';
  }

  get accepting(): boolean {
    return !this.stopping.signal.aborted;
  }

  async start(): Promise<void> {
    await mkdir(this.opts.scratchDir, { recursive: true });
    await this.sources.start();
    this.log.info(
      { queue: this.opts.queue.location, ingress: this.opts.ingress.location, egress: this.opts.egress.location, concurrency: this.opts.concurrency },
      'waiting for jobs',
    );
    this.slots = Array.from({ length: this.opts.concurrency }, (_, i) => this.loop(i));
  }

  async close(reason: string): Promise<void> {
    if (!this.stopping.signal.aborted) {
      this.log.info({ reason, running: this.active.size }, 'stopping: no new jobs; running jobs go back to the queue');
      this.stopping.abort();
      for (const a of this.active) {
        a.cancelled = true;
        a.stop?.();
      }
    }
    await Promise.all(this.slots);
    await this.sources.close();
  }

  private async loop(slot: number): Promise<void> {
    const signal = this.stopping.signal;
    let failures = 0;
    while (!signal.aborted) {
      let messages: QueueMessage[];
      try {
        messages = await this.opts.queue.receive({
          maxMessages: 1,
          waitSeconds: this.opts.receiveWaitSeconds,
          visibilitySeconds: this.opts.visibilitySeconds,
          signal,
        });
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const delay = Math.min(RECEIVE_RETRY_MS[1], RECEIVE_RETRY_MS[0] * 2 ** (failures - 1));
        this.log.error({ err, slot, retryInMs: delay }, `cannot receive from the queue: ${(err as Error).message}`);
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        continue;
      }
      for (const msg of messages) await this.handle(msg);
    }
  }

  private async handle(msg: QueueMessage): Promise<void> {
    const receivedAt = Date.now();
    const log = this.log.child({ messageId: msg.id, receiveCount: msg.receiveCount });
    const metrics = this.opts.metrics;
    let event: S3Event;
    let fleet: FleetMessage | undefined;
    try {
      fleet = parseFleetMessage(msg.body);
      event = fleet ? { kind: 'objects', objects: [] } : parseS3Event(msg.body);
    } catch (err) {
      log.error(
        { code: isScError(err) ? err.code : undefined, body: msg.body.slice(0, 500) },
        `${(err as Error).message}: left on the queue for the dead-letter queue`,
      );
      metrics?.job('failed');
      return;
    }
    if (fleet) {
      await this.handleFleet(msg, fleet, log);
      return;
    }
    if (event.kind === 'test') {
      log.info('s3:TestEvent acknowledged and skipped');
      metrics?.job('skipped');
      await this.acknowledge(msg, log);
      return;
    }
    const work: S3EventObject[] = [];
    for (const obj of event.objects) {
      const why = this.skipReason(obj);
      if (why) {
        log.info({ bucket: obj.bucket, key: obj.key }, `acknowledged and skipped: ${why}`);
        metrics?.job('skipped');
      } else work.push(obj);
    }
    if (work.length === 0) {
      await this.acknowledge(msg, log);
      return;
    }
    await this.runMessage(msg, log, work.length, async (active, progress) => {
      for (const obj of work) {
        progress.current = obj;
        await this.process(obj, active, log, receivedAt);
        progress.done++;
        metrics?.job('done');
      }
    });
  }

  /** A chunk, audio or stitch task of a recording the fleet transcodes together (fleet-job.ts). */
  private async handleFleet(msg: QueueMessage, task: FleetMessage, parent: Logger): Promise<void> {
    const why = this.skipReason(task.source);
    if (why) {
      parent.warn({ bucket: task.source.bucket, key: task.source.key, task: task.task }, `fleet task acknowledged and skipped: ${why}`);
      this.opts.metrics?.job('skipped');
      await this.acknowledge(msg, parent);
      return;
    }
    const fleet = this.fleet;
    const key = this.relativeKey(task.source);
    const asset = assetName(key);
    const log = parent.child({ key, asset, job: task.job, task: task.task, ...(task.index !== undefined ? { chunk: task.index } : {}) });
    await this.runMessage(msg, log, 1, async (active, progress) => {
      progress.current = task.source;
      const dir = await mkdtemp(join(this.opts.scratchDir, `${task.task}-`));
      try {
        await fleet.run({ msg, task, key, asset, dir, control: active, log });
      } finally {
        await rm(dir, { recursive: true, force: true }).catch((err) => log.warn({ err, dir }, 'cannot remove scratch folder'));
      }
      progress.done++;
    });
  }

  /**
   * Runs a message's work with its visibility extended; deletes the message once the work is done.
   * Stopped: the message is released. Failed for good: dead-lettered at once, and the notifiers
   * told. Any other failure leaves it to come back after its visibility timeout.
   */
  private async runMessage(
    msg: QueueMessage,
    log: Logger,
    of: number,
    work: (active: Active, progress: { current?: { bucket: string; key: string }; done: number }) => Promise<void>,
  ): Promise<void> {
    const metrics = this.opts.metrics;
    const active: Active = { msg, cancelled: this.stopping.signal.aborted };
    this.active.add(active);
    metrics?.running.inc();
    const every = (this.opts.visibilitySeconds * 1000) / 3;
    const extender = setInterval(() => {
      this.opts.queue.extend(msg, this.opts.visibilitySeconds).then(
        () => log.debug({ seconds: this.opts.visibilitySeconds }, 'visibility extended'),
        (err) => log.warn({ err }, `cannot extend the message's visibility (another worker may get it): ${(err as Error).message}`),
      );
    }, every);
    const progress: { current?: { bucket: string; key: string }; done: number } = { done: 0 };
    try {
      await work(active, progress);
      await this.opts.queue.delete(msg);
      log.debug('message deleted');
    } catch (err) {
      const code = isScError(err) ? err.code : undefined;
      const { current, done } = progress;
      if (active.cancelled) {
        await this.opts.queue.release(msg).then(
          () => log.warn({ done, of }, 'job stopped: message released to the queue'),
          (e) => log.error({ err: e }, `job stopped but its message could not be released; it returns after the visibility timeout: ${(e as Error).message}`),
        );
        metrics?.job('released');
      } else if (isPermanentFailure(err) && current) {
        const reason = (err as Error).message;
        log.error({ err, code, key: this.relativeKey(current), done, of }, `job failed for good: ${reason}; dead-lettered at once`);
        metrics?.job('failed');
        await this.notify(
          failedNotice({ asset: this.assetOf(current), source: { bucket: current.bucket, key: current.key }, code, reason, time: new Date() }),
        );
        await this.opts.queue.deadLetter(msg, `${code}: ${reason}`).catch((e) =>
          log.error({ err: e }, `cannot dead-letter the message; it returns after the visibility timeout: ${(e as Error).message}`),
        );
      } else {
        log.error(
          { err, code, key: current && this.relativeKey(current), done, of },
          `job failed: ${(err as Error).message}; message left on the queue (back after the visibility timeout, dead-lettered after the queue's maxReceiveCount)`,
        );
        metrics?.job('failed');
      }
    } finally {
      clearInterval(extender);
      this.active.delete(active);
      metrics?.running.dec();
    }
  }

  private skipReason(obj: { bucket: string; key: string }): string | undefined {
    if (obj.bucket !== this.opts.ingress.bucket) return `event for bucket "${obj.bucket}", this worker reads "${this.opts.ingress.bucket}"`;
    if (!obj.key.startsWith(this.ingressPrefix)) return `key is outside the ingress prefix "${this.ingressPrefix}"`;
    if (!isVideoKey(obj.key)) return 'not a video key';
    return undefined;
  }

  private relativeKey(obj: { key: string }): string {
    return obj.key.slice(this.ingressPrefix.length);
  }

  private assetOf(obj: { key: string }): string {
    return assetName(this.relativeKey(obj));
  }

  /** The asset's poster and card, once it is published. Never throws: the asset plays without them. */
  private async publishPoster(input: string, outDir: string, name: string, result: TranscodeResult, log: Logger): Promise<void> {
    const timeout = this.opts.posterTimeoutSeconds ?? 0;
    if (timeout <= 0) return;
    const t = this.opts.transcode;
    await publishPoster({
      store: this.opts.egress,
      prefix: name,
      outDir,
      master: result.masters[0],
      input,
      container: result.container,
      maxPixels: maxPixelsOf(t.sourceLimits),
      source: result.source,
      // The card lists the ladder; viewport renditions have their own listing beside the master.
      renditions: result.renditions.filter((m) => !result.plan.video.some((r) => r.name === m.name && r.viewportYaw !== undefined)),
      ffmpegPath: t.ffmpegPath,
      timeoutMs: timeout * 1000,
      signal: this.stopping.signal,
      now: new Date(),
      log,
    }).catch((err) => log.warn({ code: (err as { code?: string }).code }, `no asset card: ${(err as Error).message}`));
  }

  /** Never throws; close() cuts its retries short. */
  private async notify(notice: CompletionNotice): Promise<void> {
    await this.opts.notifiers?.send(notice, this.stopping.signal);
  }

  private async acknowledge(msg: QueueMessage, log: Logger): Promise<void> {
    await this.opts.queue.delete(msg).catch((err) => log.error({ err }, `cannot delete the message: ${(err as Error).message}`));
  }

  private async process(obj: S3EventObject, active: Active, parent: Logger, receivedAt: number): Promise<void> {
    const key = this.relativeKey(obj);
    const name = assetName(key);
    const log = parent.child({ key, asset: name });
    const stopped = (): SpherecastError => new SpherecastError('SC_ERR_TRANSCODE', [key, 'stopped']);
    const dir = await mkdtemp(join(this.opts.scratchDir, 'job-'));
    let held: HeldSource | undefined;
    let fleetJob = false;
    try {
      log.info({ size: obj.size }, 'job started');
      if (obj.size === 0) throw new SpherecastError('SC_ERR_MEDIA', [`${key}: zero-byte object`]);
      // From the cache: when this becomes a fleet job, this worker's chunks of it need no download.
      held = await this.sources.acquire(key);
      const input = held.path;
      if (active.cancelled) throw stopped();
      const outDir = join(dir, 'out');
      const job = new TranscodeJob({
        ...this.opts.transcode,
        input,
        outDir,
        log,
        label: key,
        onProgress: (p) => log.info(p, 'progress'),
      });
      active.stop = () => job.stop();
      const prepared = await job.prepare();
      const chunks = this.fleet.chunksOf(prepared);
      if (chunks.length > 1) {
        const etag = obj.etag !== undefined && FLEET_ETAG.test(obj.etag) ? obj.etag : undefined;
        const source = { bucket: obj.bucket, key: obj.key, size: obj.size, ...(etag !== undefined ? { etag } : {}) };
        await this.fleet.plan({ source, eventTime: obj.eventTime, asset: name, prepared, chunks, dir, log });
        fleetJob = true;
        return;
      }
      const result = await job.encode(prepared);
      active.stop = undefined;
      await publishAsset({ store: this.opts.egress, outDir, prefix: name, masters: result.masters, log });
      await this.publishPoster(input, outDir, name, result, log);
      await this.notify(
        succeededNotice({
          asset: name,
          source: { bucket: obj.bucket, key: obj.key },
          masters: result.masters,
          renditions: result.renditions,
          duration: result.source.duration,
          vodBaseUrl: this.opts.vodBaseUrl,
          storeLocation: this.opts.egress.location,
          time: new Date(),
        }),
      );
      const latency = (Date.now() - receivedAt) / 1000;
      this.opts.metrics?.finished(result.speed, latency);
      this.opts.metrics?.prunedRungs(result.plan.pruned.length);
      log.info(
        { master: `${name}/${result.masters[0]}`, renditions: result.renditions.length, pruned: result.plan.pruned.length, speed: result.speed, wallSeconds: result.wallSeconds, publishLatencySeconds: latency },
        'job done',
      );
    } finally {
      // Only a fleet job's chunks come back for the source.
      held?.release({ keep: fleetJob });
      await rm(dir, { recursive: true, force: true }).catch((err) => log.warn({ err, dir }, 'cannot remove scratch folder'));
    }
  }
}
