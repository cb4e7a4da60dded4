/**
 * Per-variant metrics of routed predictions, held per (variant, served version) so a
 * request adds numbers without hashing labels.
 */
import type { CounterSeries, HistogramSeries } from '../metric-series.js';
import type { Metrics } from '../metrics.js';
import type { LoadedVersion } from './loaded-version.js';
import type { ScoringVariant } from './scoring-endpoint.js';

interface Held {
  version: LoadedVersion;
  latency: HistogramSeries;
  requestsByStatus: Map<number, CounterSeries>;
  errorsByCode: Map<string, CounterSeries>;
}

const held = new WeakMap<ScoringVariant, Held>();

/** Counts one routed request and its latency; `errorCode` when it failed. */
export function observeVariant(
  metrics: Metrics,
  variant: ScoringVariant,
  version: LoadedVersion,
  status: number,
  seconds: number,
  errorCode: string | null,
): void {
  let entry = held.get(variant);
  if (entry === undefined || entry.version !== version) {
    entry = { version, latency: metrics.endpointLatency.with(variant.labels), requestsByStatus: new Map(), errorsByCode: new Map() };
    held.set(variant, entry);
  }
  let requests = entry.requestsByStatus.get(status);
  if (requests === undefined) {
    requests = metrics.endpointRequests.with({ ...variant.labels, model: version.identity.name, version: version.identity.version ?? '', code: String(status) });
    entry.requestsByStatus.set(status, requests);
  }
  requests.inc();
  entry.latency.observe(seconds);
  if (errorCode === null) return;
  let errors = entry.errorsByCode.get(errorCode);
  if (errors === undefined) {
    errors = metrics.endpointErrors.with({ ...variant.labels, error_code: errorCode });
    entry.errorsByCode.set(errorCode, errors);
  }
  errors.inc();
}
