/**
 * What every routed prediction carries, whatever its protocol: the response headers naming
 * the endpoint, variant, model and version that answered, and the per-variant metrics.
 * Both are built once per (variant, served version) and reused by every request; responses
 * are built from a plain header record, which @hono/node-server writes without ever
 * creating a web Headers object.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { Endpoint, HeaderReader, Variant } from '../endpoints/endpoint.js';
import type { CounterSeries, HistogramSeries } from '../metric-series.js';
import type { Metrics } from '../metrics.js';
import type { ModelVersion } from '../serving/model-version.js';

interface Served {
  version: ModelVersion;
  endpoint: string;
  variant: string;
  model: string;
  /** the registry version, null for a plain path */
  number: string | null;
  latency: HistogramSeries;
  requestsByStatus: Map<number, CounterSeries>;
  errorsByCode: Map<string, CounterSeries>;
}

const cache = new WeakMap<Variant, Served>();

function served(metrics: Metrics, endpoint: Endpoint, variant: Variant, version: ModelVersion): Served {
  const hit = cache.get(variant);
  if (hit !== undefined && hit.version === version) return hit;
  const entry: Served = {
    version,
    endpoint: endpoint.name,
    variant: variant.name,
    model: version.identity.name,
    number: version.identity.version,
    latency: metrics.endpointLatency.with(variant.labels),
    requestsByStatus: new Map(),
    errorsByCode: new Map(),
  };
  cache.set(variant, entry);
  return entry;
}

/** Response headers (JSON content type and request id included) for a request `variant` answers with `version`. */
export function servedHeaders(c: Context, metrics: Metrics, endpoint: Endpoint, variant: Variant, version: ModelVersion): Record<string, string> {
  const s = served(metrics, endpoint, variant, version);
  const id: string = c.get('requestId' as never);
  // Literals of a fixed shape: V8 builds them in a few ns; spreading a cached record costs ~1 µs.
  return s.number === null
    ? { 'Content-Type': 'application/json', 'x-flowgate-endpoint': s.endpoint, 'x-flowgate-variant': s.variant, 'x-flowgate-model': s.model, 'x-request-id': id }
    : { 'Content-Type': 'application/json', 'x-flowgate-endpoint': s.endpoint, 'x-flowgate-variant': s.variant, 'x-flowgate-model': s.model, 'x-flowgate-version': s.number, 'x-request-id': id };
}

/** A response whose headers already carry the request id (the app's middleware then leaves them alone). */
export function respond(c: Context, body: string | Buffer, status: number, headers: Record<string, string>): Response {
  c.set('requestIdSent' as never, true as never);
  return new Response(body, { status, headers });
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
  const entry = served(metrics, endpoint, variant, version);
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

/** Request headers by lower-case name; on Node, read from the parsed headers without building a web Headers. */
export function headerReader(c: Context): HeaderReader {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined) return (name) => c.req.header(name);
  const headers = incoming.headers;
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}
