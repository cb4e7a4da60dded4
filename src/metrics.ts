/**
 * Prometheus metrics (prom-client), one registry per server so tests and several servers
 * in one process never share state.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

// From 0.5 ms: a tree or linear model answers in well under a millisecond.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'model' | 'version' | 'route' | 'code'>;
  latency: Histogram<'model' | 'version' | 'route' | 'code'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['model', 'version', 'route', 'code'] as const;
  return {
    registry,
    requests: new Counter({ name: 'flowgate_requests_total', help: 'HTTP requests by model, version, route and status code', labelNames, registers: [registry] }),
    latency: new Histogram({
      name: 'flowgate_request_duration_seconds',
      help: 'HTTP request latency in seconds',
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
