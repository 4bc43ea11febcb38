import { isAbsolute, join, resolve } from 'node:path';
import { openJobQueue } from '../shared/job-queue-open';
import type { Logger } from '../shared/logger';
import { createMetricsRegistry } from '../shared/metrics';
import { openObjectStore } from '../shared/object-store-open';
import type { Running } from '../shared/program';
import { transcodeSettings, type TranscoderConfig } from './config';
import { MetricsServer } from './metrics-server';
import { Notifiers, type Notifier } from './notifier';
import { SnsNotifier } from './sns-notifier';
import { WebhookNotifier } from './webhook-notifier';
import { pendingSpotNotice, startSpotMonitor } from '../shared/spot-interruption';
import { TranscoderMetrics } from './transcoder-metrics';
import { TranscodeWorker } from './worker';

/** Relative folders are under MEDIA_DIR's parent like any path; empty means MEDIA_DIR/<name>. */
function location(value: string, mediaDir: string, name: string): string {
  if (value === '') return join(mediaDir, name);
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) || isAbsolute(value)) return value;
  return resolve(value);
}

/** The completion notice targets the configuration names (none, SNS, a webhook, or both). */
function notifiersOf(config: TranscoderConfig): Notifier[] {
  const out: Notifier[] = [];
  const timeoutMs = config.notifyTimeout * 1000;
  if (config.notifySnsTopicArn) {
    out.push(
      new SnsNotifier({
        topicArn: config.notifySnsTopicArn,
        region: config.awsRegion || undefined,
        endpoint: config.snsEndpoint || undefined,
        attempts: config.notifyAttempts,
        timeoutMs,
        callLog: config.awsCallLog,
      }),
    );
  }
  if (config.notifyWebhookUrl) {
    out.push(new WebhookNotifier({ url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret, attempts: config.notifyAttempts, timeoutMs }));
  }
  return out;
}

/** The worker process: stores, queue, worker loops, /metrics, and the Spot interruption watch. */
export async function startWorker(config: TranscoderConfig, log: Logger): Promise<Running> {
  const mediaDir = resolve(config.mediaDir);
  const aws = { region: config.awsRegion || undefined, callLog: config.awsCallLog };
  const ingress = openObjectStore(location(config.ingress, mediaDir, 'ingress'), { log, s3Endpoint: config.s3Endpoint || undefined, ...aws });
  const egress = openObjectStore(location(config.egress, mediaDir, 'egress'), { log, s3Endpoint: config.s3Endpoint || undefined, ...aws });
  const queue = openJobQueue(location(config.queue, mediaDir, 'queue'), {
    log,
    maxReceiveCount: config.maxReceiveCount,
    sqsEndpoint: config.sqsEndpoint || undefined,
    deadLetterQueueUrl: config.deadLetterQueue || undefined,
    ...aws,
  });
  const notifiers = new Notifiers(notifiersOf(config), log);
  const registry = createMetricsRegistry('transcoder');
  const metrics = new TranscoderMetrics(registry);
  const worker = new TranscodeWorker({
    queue,
    ingress,
    egress,
    scratchDir: join(mediaDir, 'transcoder-scratch'),
    concurrency: config.concurrency,
    visibilitySeconds: config.visibilityTimeout,
    receiveWaitSeconds: config.receiveWait,
    transcode: transcodeSettings(config),
    log,
    metrics,
    notifiers,
    vodBaseUrl: config.vodBaseUrl || undefined,
    posterTimeoutSeconds: config.posterTimeout,
    chunkSeconds: config.chunkSeconds,
  });
  const server = new MetricsServer({ host: config.metricsHost, port: config.metricsPort, registry, log, healthy: () => worker.accepting });
  await server.start();
  const spotOpts = { baseUrl: config.imdsUrl, intervalMs: config.spotPollInterval * 1000, log };
  const pending = await pendingSpotNotice(config.spotMonitor, spotOpts);
  if (pending) {
    // The monitor below sees the same notice at once and stops the program with exit 0, which
    // systemd (Restart=on-failure) does not restart.
    log.warn({ notice: pending }, 'a Spot interruption is already scheduled: taking no jobs');
  } else {
    await worker.start();
  }
  // The same path as a SIGTERM: stop taking jobs, kill ffmpeg, release the messages, exit 0.
  const spot = startSpotMonitor(config.spotMonitor, spotOpts);
  return {
    async close(reason: string) {
      spot?.stop();
      await worker.close(reason);
      await server.close();
      await Promise.all([queue.close(), ingress.close(), egress.close(), notifiers.close()]);
    },
  };
}
