import { Registry, collectDefaultMetrics } from 'prom-client';

/** A per-program Prometheus registry with process metrics, exposed at `/metrics`. */
export function createMetricsRegistry(program: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  // prom-client samples event-loop delay with a 10 ms timer by default: 100 wakeups a second in an idle
  // program (measured: 1 % of a core for an idle origin, an eighth of its CPU with 8 streams). At 100 ms the
  // lag histogram still sees every stall longer than that, which is the one that matters for live media.
  collectDefaultMetrics({ register: registry, prefix: 'spherecast_', eventLoopMonitoringPrecision: 100 });
  return registry;
}
