/**
 * Prometheus metrics (prom-client), one registry per server so tests and several servers
 * in one process never share state.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// From 0.5 ms: a tree or linear model answers in well under a millisecond.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type RequestLabels = 'model' | 'version' | 'route' | 'code';
type VariantLabels = 'endpoint' | 'variant';

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
  readonly endpointRequests: Counter<VariantLabels | 'model' | 'version' | 'code'>;
  readonly endpointLatency: Histogram<VariantLabels>;
  readonly endpointErrors: Counter<VariantLabels | 'error_code'>;
  readonly shadowRequests: Counter<VariantLabels | 'outcome'>;
  readonly shadowLatency: Histogram<VariantLabels>;
  readonly shadowDropped: Counter<VariantLabels>;
  readonly configReloads: Counter<'outcome'>;
  /** how many followed URIs serve each model version now (several URIs can name one version) */
  private readonly servedBy = new Map<string, number>();

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
    // Per endpoint and variant: what an A/B comparison reads. The HTTP metrics above stay per route.
    const variant = ['endpoint', 'variant'] as const;
    this.endpointRequests = new Counter({ name: 'flowgate_endpoint_requests_total', help: 'Prediction requests by endpoint, variant, model version and status code', labelNames: [...variant, 'model', 'version', 'code'], registers });
    this.endpointLatency = new Histogram({ name: 'flowgate_endpoint_request_duration_seconds', help: 'Prediction latency in seconds by endpoint and variant', labelNames: variant, buckets: LATENCY_BUCKETS, registers });
    this.endpointErrors = new Counter({ name: 'flowgate_endpoint_errors_total', help: 'Failed prediction requests by endpoint, variant and error code', labelNames: [...variant, 'error_code'], registers });
    this.shadowRequests = new Counter({ name: 'flowgate_shadow_requests_total', help: 'Shadow requests by outcome: agree (same predictions as the primary), disagree, error', labelNames: [...variant, 'outcome'], registers });
    this.shadowLatency = new Histogram({ name: 'flowgate_shadow_request_duration_seconds', help: 'Shadow prediction latency in seconds', labelNames: variant, buckets: LATENCY_BUCKETS, registers });
    this.shadowDropped = new Counter({ name: 'flowgate_shadow_dropped_total', help: 'Shadow requests dropped because the shadow queue was full', labelNames: variant, registers });
    this.configReloads = new Counter({ name: 'flowgate_config_reloads_total', help: 'Re-reads of a changed endpoints file, by outcome (applied, rejected)', labelNames: ['outcome'], registers });
  }

  markServed(v: ServedVersionLabels): void {
    const labels = this.versionLabels(v);
    const key = `${labels.model}\u0000${labels.version}\u0000${labels.flavor}`;
    this.servedBy.set(key, (this.servedBy.get(key) ?? 0) + 1);
    this.modelInfo.set(labels, 1);
  }

  forgetVersion(v: ServedVersionLabels): void {
    const labels = this.versionLabels(v);
    const key = `${labels.model}\u0000${labels.version}\u0000${labels.flavor}`;
    const count = (this.servedBy.get(key) ?? 1) - 1;
    if (count > 0) return void this.servedBy.set(key, count);
    this.servedBy.delete(key);
    this.modelInfo.remove(labels);
  }

  private versionLabels(v: ServedVersionLabels): { model: string; version: string; flavor: string } {
    return { model: v.identity.name, version: v.identity.version ?? '', flavor: v.flavor };
  }
}
