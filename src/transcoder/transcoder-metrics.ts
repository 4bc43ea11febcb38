import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type JobResult = 'done' | 'failed' | 'skipped' | 'released';

/** Prometheus series of the worker: jobs by result, speed, and receive-to-published latency. */
export class TranscoderMetrics {
  private readonly jobs: Counter<'result'>;
  private readonly speed: Histogram<string>;
  private readonly lastSpeed: Gauge<string>;
  private readonly latency: Histogram<string>;
  readonly running: Gauge<string>;
  private readonly pruned: Counter<string>;

  constructor(registry: Registry) {
    this.jobs = new Counter({ name: 'spherecast_transcoder_jobs_total', help: 'Jobs (recordings) by result', labelNames: ['result'], registers: [registry] });
    for (const r of ['done', 'failed', 'skipped', 'released'] as const) this.jobs.labels(r);
    this.speed = new Histogram({
      name: 'spherecast_transcoder_speed_ratio',
      help: 'Transcode speed as a multiple of real time (source seconds per wall second)',
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
      registers: [registry],
    });
    this.lastSpeed = new Gauge({ name: 'spherecast_transcoder_last_speed_ratio', help: 'Speed of the last finished job as a multiple of real time', registers: [registry] });
    this.latency = new Histogram({
      name: 'spherecast_transcoder_publish_latency_seconds',
      help: 'From the message being received to the master playlist being published',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    });
    this.pruned = new Counter({ name: 'spherecast_transcoder_pruned_rungs_total', help: 'Ladder rungs left out by per-title pruning (within LADDER_PRUNE of the rung above, or the same picture size)', registers: [registry] });
    this.running = new Gauge({ name: 'spherecast_transcoder_running_jobs', help: 'Jobs being worked on', registers: [registry] });
  }

  job(result: JobResult): void {
    this.jobs.labels(result).inc();
  }

  prunedRungs(count: number): void {
    this.pruned.inc(count);
  }

  finished(speed: number | undefined, latencySeconds: number): void {
    if (speed !== undefined && Number.isFinite(speed)) {
      this.speed.observe(speed);
      this.lastSpeed.set(speed);
    }
    this.latency.observe(latencySeconds);
  }
}
