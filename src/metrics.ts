/**
 * Prometheus metrics (prom-client), one registry per server so tests and several servers
 * in one process never share state.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// From 0.5 ms: a tree or linear model answers in well under a millisecond.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type RequestLabels = 'model' | 'version' | 'route' | 'code';

export interface ServedVersionLabels {
  identity: { name: string; version: string | null };
  flavor: string;
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<RequestLabels>;
  readonly latency: Histogram<RequestLabels>;
  readonly modelInfo: Gauge<'model' | 'version' | 'flavor'>;
  readonly reloads: Counter<'model' | 'outcome'>;
  readonly pollErrors: Counter<'model'>;
  readonly loadSeconds: Histogram<'model'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const labelNames = ['model', 'version', 'route', 'code'] as const;
    this.requests = new Counter({ name: 'flowgate_requests_total', help: 'HTTP requests by model, version, route and status code', labelNames, registers });
    this.latency = new Histogram({ name: 'flowgate_request_duration_seconds', help: 'HTTP request latency in seconds', labelNames, buckets: LATENCY_BUCKETS, registers });
    this.modelInfo = new Gauge({ name: 'flowgate_model_served', help: 'The model versions served now (1 while served)', labelNames: ['model', 'version', 'flavor'], registers });
    this.reloads = new Counter({ name: 'flowgate_model_reloads_total', help: 'Attempts to load a new version of a followed URI, by outcome', labelNames: ['model', 'outcome'], registers });
    this.pollErrors = new Counter({ name: 'flowgate_registry_poll_errors_total', help: 'Registry polls that failed (serving continued)', labelNames: ['model'], registers });
    this.loadSeconds = new Histogram({ name: 'flowgate_model_load_seconds', help: 'Time to download, load and warm up a model version', labelNames: ['model'], buckets: LOAD_BUCKETS, registers });
  }

  markServed(v: ServedVersionLabels): void {
    this.modelInfo.set(this.versionLabels(v), 1);
  }

  forgetVersion(v: ServedVersionLabels): void {
    this.modelInfo.remove(this.versionLabels(v));
  }

  private versionLabels(v: ServedVersionLabels): { model: string; version: string; flavor: string } {
    return { model: v.identity.name, version: v.identity.version ?? '', flavor: v.flavor };
  }
}
