import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { scError } from '../shared/errors';
import { makeErrorObject } from './cached-object';
import type { ClusterSummary, ToPrimary, ToWorker, WorkerFigures } from './cluster-link';
import type { EdgeConfig } from './config';
import type { Fetched } from './object-source';
import { combineStatus } from './server-status';
import { CacheTier } from './cache-tier';

export interface EdgePrimaryOptions {
  config: EdgeConfig;
  log: Logger;
  clock: Clock;
}

const RESTART_DELAY_MS = 1000;
const COLLECT_TIMEOUT_MS = 2000;

/**
 * The primary of an edge cluster (WORKERS > 1): forks the HTTP workers (which share the listening
 * port through node:cluster) and is their shared cache tier: every worker's miss comes here, where
 * one coalesced fetch per key goes to the origins and the answer is kept for every other worker.
 * So a cluster protects the origin exactly as one process does. It also restarts a worker that
 * dies, adds up every process's figures for /server-status and /metrics, and on close drains the
 * workers before it releases the origins.
 */
export class EdgePrimary {
  private readonly config: EdgeConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly tier: CacheTier;
  private readonly workers = new Set<Worker>();
  private readonly collecting = new Map<number, { figures: WorkerFigures[]; expected: number; done: () => void }>();
  private nextCollect = 1;
  private closing = false;

  constructor(opts: EdgePrimaryOptions) {
    const { config, clock } = opts;
    this.config = config;
    this.clock = clock;
    this.log = opts.log.child({ component: 'edge-primary' });
    this.tier = new CacheTier({ config, clock, log: opts.log });
  }

  /** Forks the workers; resolves once every one listens. */
  async start(): Promise<void> {
    cluster.setupPrimary({ serialization: 'advanced' });
    this.tier.start();
    const listening = [];
    for (let i = 0; i < this.config.workers; i++) listening.push(this.fork());
    await Promise.all(listening);
    this.log.info({ workers: this.config.workers, origins: this.config.origins }, 'workers listening');
  }

  private fork(): Promise<void> {
    const worker = cluster.fork();
    this.workers.add(worker);
    worker.on('message', (message: ToPrimary) => this.receive(worker, message));
    return new Promise((resolve, reject) => {
      let up = false;
      worker.once('listening', () => {
        up = true;
        resolve();
      });
      worker.once('exit', (code, signal) => {
        this.workers.delete(worker);
        if (!up) {
          reject(scError('SC_ERR_LISTEN', `${this.config.host}:${this.config.httpPort}`, `edge worker ${worker.id} exited before listening (code ${code}, signal ${signal})`));
          return;
        }
        if (this.closing) return;
        this.log.error({ worker: worker.id, code, signal }, 'edge worker died: starting another');
        setTimeout(() => {
          if (!this.closing) this.fork().catch((err: unknown) => this.log.error({ err }, 'could not restart an edge worker'));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  private receive(worker: Worker, message: ToPrimary): void {
    if (typeof message !== 'object' || message === null) return;
    if (message.sc === 'fetch' && typeof message.key === 'string') {
      this.fetchFor(message.key)
        .catch((err: unknown): Fetched => {
          this.log.error({ err, key: message.key }, 'shared cache tier failed');
          return { kind: 'failed', object: makeErrorObject(502, 'upstream failed', this.config.edgeId, this.clock.now()) };
        })
        .then((fetched) => this.send(worker, { sc: 'fetched', id: message.id, fetched }));
    } else if (message.sc === 'summary') {
      void this.summary().then(
        (summary) => this.send(worker, { sc: 'summary', id: message.id, summary }),
        (err: unknown) => this.send(worker, { sc: 'summary', id: message.id, summary: null, error: (err as Error).message }),
      );
    } else if (message.sc === 'figures') {
      const c = this.collecting.get(message.id);
      if (!c) return;
      c.figures.push(message.figures);
      if (c.figures.length === c.expected) c.done();
    }
  }

  private send(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }

  /** One worker's miss, answered from the shared tier: the worker keeps what the tier kept, as long. */
  private async fetchFor(key: string): Promise<Fetched> {
    const served = await this.tier.proxy.serve(key);
    if (served.cacheStatus === 'STALE') return { kind: 'failed', object: served.object, stale: true };
    if (served.object.status >= 500) return { kind: 'failed', object: served.object };
    return { kind: 'answer', object: served.object, store: served.cacheStatus !== 'BYPASS' };
  }

  private async summary(): Promise<ClusterSummary> {
    const id = this.nextCollect++;
    const live = [...this.workers].filter((w) => w.isConnected());
    const figures: WorkerFigures[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      this.collecting.set(id, {
        figures,
        expected: live.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const w of live) this.send(w, { sc: 'collect', id });
      if (live.length === 0) resolve();
    });
    this.collecting.delete(id);
    const own = await this.tier.registry.getMetricsAsJSON();
    const metrics = AggregatorRegistry.aggregate([own, ...figures.map((f) => f.metrics)]);
    return {
      status: combineStatus(this.tier.status(this.config.edgeId, this.closing), figures.map((f) => f.status), this.config.workers),
      metrics: await metrics.metrics(),
    };
  }

  /** Asks every worker to drain and waits for them (killing stragglers), then releases the origins. */
  async close(reason: string): Promise<void> {
    this.closing = true;
    this.log.info({ reason, workers: this.workers.size }, 'stopping the workers');
    const deadline = (this.config.drainDelay + this.config.drainTimeout) * 1000 + 2000;
    await Promise.all(
      [...this.workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const timer = setTimeout(() => {
              this.log.warn({ worker: w.id }, 'edge worker did not stop in time: killing it');
              w.process.kill('SIGKILL');
            }, deadline);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (w.isConnected()) w.send({ sc: 'shutdown' } satisfies ToWorker);
            else w.process.kill('SIGTERM');
          }),
      ),
    );
    await this.tier.close();
  }
}
