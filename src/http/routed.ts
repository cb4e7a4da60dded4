/**
 * What every routed prediction carries, whatever its protocol: the response headers naming
 * the endpoint, variant, model and version that answered, and the per-variant metrics.
 * Both are built once per (variant, served version) and reused by every request.
 */
import type { Endpoint, Variant } from '../endpoints/endpoint.js';
import type { Metrics } from '../metrics.js';
import type { ModelVersion } from '../serving/model-version.js';

interface RequestLabels {
  endpoint: string;
  variant: string;
  model: string;
  version: string;
  code: string;
}

interface Served {
  version: ModelVersion;
  headers: Record<string, string>;
  labelsByCode: Map<number, RequestLabels>;
}

const cache = new WeakMap<Variant, Served>();

function served(endpoint: Endpoint, variant: Variant, version: ModelVersion): Served {
  const hit = cache.get(variant);
  if (hit !== undefined && hit.version === version) return hit;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'x-flowgate-endpoint': endpoint.name,
    'x-flowgate-variant': variant.name,
    'x-flowgate-model': version.identity.name,
  };
  if (version.identity.version !== null) headers['x-flowgate-version'] = version.identity.version;
  const entry = { version, headers, labelsByCode: new Map<number, RequestLabels>() };
  cache.set(variant, entry);
  return entry;
}

/** Response headers (JSON content type included) for a request `variant` answers with `version`. */
export function servedHeaders(endpoint: Endpoint, variant: Variant, version: ModelVersion): Record<string, string> {
  return served(endpoint, variant, version).headers;
}

/** Counts one routed request and its latency; `errorCode` when it failed. */
export function observeVariant(
  metrics: Metrics,
  endpoint: Endpoint,
  variant: Variant,
  version: ModelVersion,
  status: number,
  seconds: number,
  errorCode: string | null,
): void {
  const entry = served(endpoint, variant, version);
  let labels = entry.labelsByCode.get(status);
  if (labels === undefined) {
    labels = { ...variant.labels, model: version.identity.name, version: version.identity.version ?? '', code: String(status) };
    entry.labelsByCode.set(status, labels);
  }
  metrics.endpointRequests.inc(labels);
  metrics.endpointLatency.observe(variant.labels, seconds);
  if (errorCode !== null) metrics.endpointErrors.inc({ ...variant.labels, error_code: errorCode });
}
