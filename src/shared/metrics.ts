import { Registry, collectDefaultMetrics } from 'prom-client';

/** A per-program Prometheus registry with process metrics, exposed at `/metrics`. */
export function createMetricsRegistry(program: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  collectDefaultMetrics({ register: registry, prefix: 'spherecast_' });
  return registry;
}
