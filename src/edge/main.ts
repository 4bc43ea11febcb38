import { runProgram } from '../shared/program';
import { systemClock } from '../shared/clock';
import { edgeSchema } from './config';
import { EdgeServer } from './edge-server';
import { startSpotMonitor } from '../shared/spot-interruption';

void runProgram({
  name: 'edge',
  summary: 'caching reverse proxy for HLS in front of the origins (split TTLs, request coalescing, failover)',
  schema: edgeSchema,
  shutdownTimeoutMs: (c) => (c.drainDelay + c.drainTimeout) * 1000 + 5000,
  async start(config, log) {
    const edge = new EdgeServer({ config, log, clock: systemClock });
    await edge.start();
    const spot = startSpotMonitor(config.spotMonitor, {
      baseUrl: config.imdsUrl,
      intervalMs: config.spotPollInterval * 1000,
      log,
      onNotice: () => {
        edge.startDrain('spot interruption');
        // The same path as a SIGTERM from the service manager: drain, then exit.
        process.kill(process.pid, 'SIGTERM');
      },
    });
    return {
      async close(reason: string) {
        spot?.stop();
        await edge.close(reason);
      },
    };
  },
});
