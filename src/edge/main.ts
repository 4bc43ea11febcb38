import cluster from 'node:cluster';
import { runProgram } from '../shared/program';
import { systemClock } from '../shared/clock';
import { edgeSchema, heldRequestsOf, type EdgeConfig } from './config';
import type { Logger } from '../shared/logger';
import { EdgeServer } from './edge-server';
import { EdgePrimary } from './edge-primary';
import { ClusterLink, type IpcChannel } from './cluster-link';
import { startSpotMonitor } from '../shared/spot-interruption';
import { SIGN_URL_USAGE, signUrlCommand } from './sign-url-command';

function watchSpot(config: EdgeConfig, log: Logger, onNotice: () => void) {
  return startSpotMonitor(config.spotMonitor, { baseUrl: config.imdsUrl, intervalMs: config.spotPollInterval * 1000, log, onNotice });
}

function signUrl(): void {
  const { code, out } = signUrlCommand(process.argv.slice(3), process.env, Date.now());
  (code === 0 ? process.stdout : process.stderr).write(out);
  process.exitCode = code;
}

if (process.argv[2] === 'sign-url') signUrl();
else void runProgram({
  name: 'edge',
  summary: 'caching reverse proxy for HLS in front of the origins (split TTLs, request coalescing, failover)',
  schema: edgeSchema,
  usage: [SIGN_URL_USAGE],
  // A cluster's primary waits for its workers' drain, which takes up to the same time.
  shutdownTimeoutMs: (c) => (c.drainDelay + c.drainTimeout) * 1000 + 5000,
  async start(config, log) {
    if (cluster.isWorker) {
      // The primary asks for shutdown over IPC, and a service manager may also signal every
      // process of the group: whichever comes first starts the one drain.
      let stopping = false;
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (stopping = true));
      const shutdown = () => {
        if (!stopping) process.kill(process.pid, 'SIGTERM');
      };
      const link: ClusterLink = new ClusterLink({
        channel: process as unknown as IpcChannel,
        log,
        clock: systemClock,
        handledBy: config.edgeId,
        fetchTimeoutMs: (config.upstreamConnectTimeout + config.upstreamTimeout) * 1000 * config.origins.length + 2000,
        held: heldRequestsOf(config),
        figures: async () => ({ status: edge.status(), metrics: await edge.tier.registry.getMetricsAsJSON() }),
        onShutdown: shutdown,
      });
      const edge = new EdgeServer({ config, log: log.child({ worker: cluster.worker?.id }), clock: systemClock, cluster: link });
      link.start();
      // A primary that is gone (killed) leaves this worker nothing to fetch through: drain and go.
      process.once('disconnect', shutdown);
      await edge.start();
      return {
        async close(reason: string) {
          await edge.close(reason);
          link.close();
        },
      };
    }
    if (config.workers > 1) {
      const primary = new EdgePrimary({ config, log, clock: systemClock });
      await primary.start();
      // The primary's SIGTERM path drains every worker.
      const spot = watchSpot(config, log, () => process.kill(process.pid, 'SIGTERM'));
      return {
        async close(reason: string) {
          spot?.stop();
          await primary.close(reason);
        },
      };
    }
    const edge = new EdgeServer({ config, log, clock: systemClock });
    await edge.start();
    const spot = watchSpot(config, log, () => {
      edge.startDrain('spot interruption');
      // The same path as a SIGTERM from the service manager: drain, then exit.
      process.kill(process.pid, 'SIGTERM');
    });
    return {
      async close(reason: string) {
        spot?.stop();
        await edge.close(reason);
      },
    };
  },
});
