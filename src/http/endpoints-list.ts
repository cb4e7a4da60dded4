/**
 * `GET /endpoints`: every endpoint with its routing (weights and shares, sticky key,
 * override), what each variant and shadow serves right now, and the version it is loading
 * or failing to load (`pending`: state, error, next retry).
 */
import type { Endpoint, Variant } from '../endpoints/endpoint.js';
import type { EndpointTable } from '../endpoints/gateway.js';
import type { RolloutController } from '../rollout/controller.js';

function servedNow(v: Variant): { model: string; version: string | null; flavor: string } | null {
  const version = v.model.served.current();
  return version === null ? null : { model: version.identity.name, version: version.identity.version, flavor: version.flavor };
}

function pendingNow(v: Variant) {
  const p = v.model.follower.pending();
  if (p === null) return null;
  return {
    version: p.version,
    state: p.state,
    error: p.error,
    failures: p.failures,
    since: p.since.toISOString(),
    next_retry: p.nextRetry?.toISOString() ?? null,
  };
}

function describeEndpoint(e: Endpoint, isDefault: boolean, rollouts: RolloutController | undefined) {
  const weights = e.weights;
  const total = weights.reduce((sum, w) => sum + w, 0);
  return {
    name: e.name,
    default: isDefault,
    routes: { mlflow: `/endpoints/${encodeURIComponent(e.name)}/invocations`, v2: `/v2/models/${encodeURIComponent(e.name)}/infer` },
    sticky: e.sticky === null ? null : 'header' in e.sticky ? { header: e.sticky.header } : { json: e.sticky.json.join('.') },
    variant_override: e.variantOverride,
    ready: e.ready(),
    variants: e.variants.map((v, i) => ({ name: v.name, model_uri: v.uri, weight: weights[i]!, share: weights[i]! / total, serving: servedNow(v), pending: pendingNow(v) })),
    shadows: e.shadows.map((s) => ({
      name: s.name,
      model_uri: s.uri,
      sample: s.sample,
      serving: servedNow(s),
      pending: pendingNow(s),
      queue: { in_flight: s.queue.inFlight, waiting: s.queue.queued, max_queue: s.queue.maxQueue, concurrency: s.queue.concurrency },
    })),
    rollout: rollouts?.viewIfAny(e.name) ?? null,
  };
}

export function describeEndpoints(table: EndpointTable, rollouts?: RolloutController) {
  return {
    default_endpoint: table.defaultEndpoint.name,
    endpoints: table.list.map((e) => describeEndpoint(e, e === table.defaultEndpoint, rollouts)),
  };
}
