/**
 * Prometheus metrics (prom-client), one registry per server so tests and several servers
 * in one process never share state. The per-request metrics are held series
 * (metric-series.ts): a request adds numbers, it does not hash labels.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesGauge, SeriesHistogram, type CounterSeries, type HistogramSeries } from './metric-series.js';
import { workerProcessMemory } from './model/worker-processes.js';
import type { BatchObserver } from './serving/batcher.js';

// From 0.5 ms: a tree or linear model answers in well under a millisecond.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Why a guard rail refused a request or a connection (flowgate_requests_refused_total):
 * a body past --max-body-size (413), JSON nested past --max-json-depth or more values than
 * --max-elements (400), a connection past --max-connections (closed at accept), headers or
 * a body not received within --header-timeout / --body-timeout (closed), a model queue
 * at --max-queue (503).
 */
export const REFUSAL_REASONS = ['body_too_large', 'json_depth', 'too_many_elements', 'max_connections', 'header_timeout', 'body_timeout', 'queue_full'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface ServedVersionLabels {
  identity: { name: string; version: string | null };
  flavor: string;
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests: SeriesCounter;
  readonly latency: SeriesHistogram;
  readonly modelInfo: Gauge<'model' | 'version' | 'flavor'>;
  readonly reloads: Counter<'model' | 'outcome'>;
  readonly pollErrors: Counter<'model'>;
  readonly loadSeconds: Histogram<'model'>;
  readonly pendingVersions: Gauge<'uri' | 'version' | 'state'>;
  readonly cacheBytes: Gauge;
  // Per endpoint and variant (what an A/B comparison reads), updated on the hot path through held series.
  readonly endpointRequests: SeriesCounter;
  readonly endpointLatency: SeriesHistogram;
  readonly endpointErrors: SeriesCounter;
  readonly shadowRequests: SeriesCounter;
  readonly shadowLatency: SeriesHistogram;
  readonly shadowDropped: SeriesCounter;
  readonly configReloads: Counter<'outcome'>;
  /** flowgate's own bugs (500 INTERNAL_ERROR), apart from the requests' faults */
  readonly internalErrors: Counter;
  /** requests whose client went away before sending the whole body */
  readonly clientClosed: Counter;
  readonly authFailures: Counter<'reason'>;
  /** requests refused because their model's queue was full */
  readonly queueFull: Counter<'model'>;
  /** requests in their model's bounded queue (--max-queue) now, by endpoint, variant and model */
  readonly queueDepth: SeriesGauge;
  /** requests and connections refused by a guard rail (limits, timeouts, caps), by reason */
  readonly refused: Counter<'reason'>;
  /** adaptive batching: requests per model call, and each request's wait for its batch */
  readonly batchSize: SeriesHistogram;
  readonly batchQueue: SeriesHistogram;
  /** requests dropped unrun by a batcher: their deadline passed while they waited */
  readonly batchExpired: SeriesCounter;
  /** how many followed URIs serve each model version now (several URIs can name one version) */
  private readonly servedBy = new Map<string, number>();
  private readonly requestSeries = new Map<string, { count: CounterSeries; latency: HistogramSeries }>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const labelNames = ['model', 'version', 'route', 'code'];
    this.requests = new SeriesCounter('flowgate_requests_total', 'HTTP requests by model, version, route and status code', labelNames, this.registry);
    this.latency = new SeriesHistogram('flowgate_request_duration_seconds', 'HTTP request latency in seconds', labelNames, LATENCY_BUCKETS, this.registry);
    this.modelInfo = new Gauge({ name: 'flowgate_model_served', help: 'The model versions served now (1 while served)', labelNames: ['model', 'version', 'flavor'], registers });
    this.reloads = new Counter({ name: 'flowgate_model_reloads_total', help: 'Attempts to load a new version of a followed URI, by outcome', labelNames: ['model', 'outcome'], registers });
    this.pollErrors = new Counter({ name: 'flowgate_registry_poll_errors_total', help: 'Registry polls that failed (serving continued)', labelNames: ['model'], registers });
    this.loadSeconds = new Histogram({ name: 'flowgate_model_load_seconds', help: 'Time to download, load and warm up a model version', labelNames: ['model'], buckets: LOAD_BUCKETS, registers });
    this.pendingVersions = new Gauge({
      name: 'flowgate_model_pending',
      help: 'A version a followed URI is loading or failing to load (1 while pending; state loading or failed)',
      labelNames: ['uri', 'version', 'state'],
      registers,
    });
    this.cacheBytes = new Gauge({ name: 'flowgate_cache_bytes', help: 'Bytes of downloaded model versions in the cache dir, after the last prune', registers });
    const variant = ['endpoint', 'variant'];
    const r = this.registry;
    this.endpointRequests = new SeriesCounter('flowgate_endpoint_requests_total', 'Prediction requests by endpoint, variant, model version and status code', [...variant, 'model', 'version', 'code'], r);
    this.endpointLatency = new SeriesHistogram('flowgate_endpoint_request_duration_seconds', 'Prediction latency in seconds by endpoint and variant', variant, LATENCY_BUCKETS, r);
    this.endpointErrors = new SeriesCounter('flowgate_endpoint_errors_total', 'Failed prediction requests by endpoint, variant and error code', [...variant, 'error_code'], r);
    this.shadowRequests = new SeriesCounter('flowgate_shadow_requests_total', 'Shadow requests by outcome: agree (same predictions as the primary), disagree, error', [...variant, 'outcome'], r);
    this.shadowLatency = new SeriesHistogram('flowgate_shadow_request_duration_seconds', 'Shadow prediction latency in seconds', variant, LATENCY_BUCKETS, r);
    this.shadowDropped = new SeriesCounter('flowgate_shadow_dropped_total', 'Shadow requests dropped because the shadow queue was full', variant, r);
    this.internalErrors = new Counter({ name: 'flowgate_internal_errors_total', help: "Requests that failed on flowgate's own bug (500 INTERNAL_ERROR, logged with a stack)", registers });
    this.clientClosed = new Counter({ name: 'flowgate_client_closed_total', help: 'Requests whose client closed the connection before sending the whole body', registers });
    this.authFailures = new Counter({ name: 'flowgate_auth_failures_total', help: 'Requests refused by auth: 401 for no credentials (missing), an unreadable Authorization header (malformed) or wrong credentials (invalid); 403 for x-flowgate-variant without an admin token (forbidden_override); 503 when too many basic-auth checks wait (busy)', labelNames: ['reason'], registers });
    this.queueFull = new Counter({ name: 'flowgate_queue_full_total', help: "Requests refused with 503 because their model had --max-queue requests in flight", labelNames: ['model'], registers });
    this.queueDepth = new SeriesGauge(
      'flowgate_queue_depth',
      "Requests in their model's serving queue now (admitted against --max-queue: waiting for the model, a batch or a thread, or running), by endpoint, variant and model",
      [...variant, 'model'],
      r,
    );
    this.refused = new Counter({
      name: 'flowgate_requests_refused_total',
      help: `Requests and connections refused by a guard rail, by reason: ${REFUSAL_REASONS.join(', ')}`,
      labelNames: ['reason'],
      registers,
    });
    for (const reason of REFUSAL_REASONS) this.refused.inc({ reason }, 0); // every reason shows, at 0, from the start
    this.batchSize = new SeriesHistogram('flowgate_batch_size', 'Requests run as one model call by adaptive batching, per model', ['model'], BATCH_SIZE_BUCKETS, r);
    this.batchQueue = new SeriesHistogram('flowgate_batch_queue_seconds', 'Time a request waited for its batch to start, per model', ['model'], LATENCY_BUCKETS, r);
    this.batchExpired = new SeriesCounter('flowgate_batch_expired_total', 'Requests dropped before their batch ran because their deadline (-t) passed while they waited (answered 504), per model', ['model'], r);
    new Gauge({
      name: 'flowgate_python_worker_resident_memory_bytes',
      help: 'Resident memory of each Python worker process (the Python runtime), by model and pid',
      labelNames: ['model', 'pid'],
      registers,
      async collect() {
        this.reset();
        for (const w of await workerProcessMemory()) this.set({ model: w.model, pid: String(w.pid) }, w.bytes);
      },
    });
    this.configReloads = new Counter({ name: 'flowgate_config_reloads_total', help: 'Re-reads of a changed endpoints file, by outcome (applied, rejected)', labelNames: ['outcome'], registers });
  }

  /** A request or connection refused by a guard rail. */
  refuse(reason: RefusalReason): void {
    this.refused.inc({ reason });
  }

  /** One HTTP request (every route), by the model version that answered it ('' for none). */
  observeRequest(model: string, version: string, route: string, code: number, seconds: number): void {
    const key = `${model}\u0000${version}\u0000${route}\u0000${code}`;
    let series = this.requestSeries.get(key);
    if (series === undefined) {
      const labels = { model, version, route, code: String(code) };
      series = { count: this.requests.with(labels), latency: this.latency.with(labels) };
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    series.latency.observe(seconds);
  }

  /** Where a model's batcher reports its batches. */
  batchObserver(model: string): BatchObserver {
    const size = this.batchSize.with({ model });
    const queue = this.batchQueue.with({ model });
    const expired = this.batchExpired.with({ model });
    return { batch: (requests) => size.observe(requests), queued: (seconds) => queue.observe(seconds), expired: () => expired.inc() };
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
