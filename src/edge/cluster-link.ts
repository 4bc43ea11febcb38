import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { kindOf } from './cache-policy';
import { makeErrorObject } from './cached-object';
import type { HeldRequests } from './held-requests';
import type { Fetched, ObjectSource } from './object-source';
import type { ServerStatus } from './server-status';

/**
 * The worker's side of an edge cluster (WORKERS > 1). Workers serve HTTP from their own cache;
 * what they miss they ask the primary for, whose shared cache tier and origin connections make
 * one origin request per object per TTL for the whole edge. Messages go over the cluster IPC
 * channel with advanced serialization, so bodies travel as Buffers.
 */
export type WorkerFigures = { status: ServerStatus; metrics: MetricObjectWithValues<MetricValue<string>>[] };

export interface ClusterSummary {
  status: ServerStatus;
  metrics: string;
}

/** Worker to primary. */
export type ToPrimary =
  | { sc: 'fetch'; id: number; key: string }
  | { sc: 'summary'; id: number }
  | { sc: 'figures'; id: number; figures: WorkerFigures };

/** Primary to worker. */
export type ToWorker =
  | { sc: 'fetched'; id: number; fetched: Fetched }
  | { sc: 'summary'; id: number; summary: ClusterSummary | null; error?: string }
  | { sc: 'collect'; id: number }
  | { sc: 'shutdown' };

/** The IPC channel of a worker process (`process` in a cluster worker). */
export interface IpcChannel {
  send(message: ToPrimary): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface ClusterLinkOptions {
  channel: IpcChannel;
  log: Logger;
  clock: Clock;
  handledBy: string;
  /** Longest wait for the primary's answer to a fetch; then the request fails with 504. */
  fetchTimeoutMs: number;
  /** Requests the origin may hold (LL-HLS) are waited for that much longer; learns from the playlists fetched. */
  held: HeldRequests;
  /** This worker's own figures, for the primary to add up. */
  figures(): Promise<WorkerFigures>;
  /** The primary asked the edge to shut down. */
  onShutdown(): void;
}

interface Waiter {
  resolve(message: ToWorker): void;
  timer: NodeJS.Timeout;
}

const SUMMARY_TIMEOUT_MS = 5000;

export class ClusterLink implements ObjectSource {
  private readonly opts: ClusterLinkOptions;
  private readonly log: Logger;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private readonly listener = (message: unknown): void => this.receive(message as ToWorker);

  constructor(opts: ClusterLinkOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'cluster-link' });
  }

  start(): void {
    this.opts.channel.on('message', this.listener);
  }

  close(): void {
    this.opts.channel.off('message', this.listener);
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      this.waiting.delete(id);
    }
  }

  async fetch(key: string): Promise<Fetched> {
    const { held } = this.opts;
    const answer = await this.ask({ sc: 'fetch', id: this.nextId++, key }, this.opts.fetchTimeoutMs + (held.timeoutMs(key) ?? 0));
    if (answer?.sc === 'fetched') {
      const obj = answer.fetched.object;
      if (obj.status === 200 && kindOf(key) === 'playlist') held.learn(key, obj.body);
      return answer.fetched;
    }
    this.log.error({ key }, 'the primary did not answer a fetch in time');
    return { kind: 'failed', object: makeErrorObject(504, 'shared cache tier timed out', this.opts.handledBy, this.opts.clock.now()) };
  }

  /** The whole edge's /server-status and /metrics, gathered by the primary. */
  async summary(): Promise<ClusterSummary> {
    const answer = await this.ask({ sc: 'summary', id: this.nextId++ }, SUMMARY_TIMEOUT_MS);
    if (answer?.sc === 'summary' && answer.summary) return answer.summary;
    throw new Error(answer?.sc === 'summary' && answer.error ? answer.error : 'the primary did not answer in time');
  }

  private ask(message: ToPrimary & { id: number }, timeoutMs: number): Promise<ToWorker | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(message.id);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(message.id, { resolve, timer });
      this.opts.channel.send(message);
    });
  }

  private receive(message: ToWorker): void {
    if (typeof message !== 'object' || message === null || typeof (message as { sc?: unknown }).sc !== 'string') return;
    if (message.sc === 'collect') {
      const id = message.id;
      this.opts.figures().then(
        (figures) => this.opts.channel.send({ sc: 'figures', id, figures }),
        (err: unknown) => this.log.error({ err }, 'could not gather figures for the primary'),
      );
      return;
    }
    if (message.sc === 'shutdown') {
      this.opts.onShutdown();
      return;
    }
    const w = this.waiting.get(message.id);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(message.id);
    if (message.sc === 'fetched') {
      // Advanced serialization hands Buffers over as Buffers; be sure of it, the fast path writes them raw.
      const obj = message.fetched.object;
      if (!Buffer.isBuffer(obj.body)) obj.body = Buffer.from(obj.body as Uint8Array);
    }
    w.resolve(message);
  }
}
