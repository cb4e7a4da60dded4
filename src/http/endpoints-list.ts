/**
 * `GET /endpoints`: every endpoint with its routing (weights and shares, sticky key,
 * override) and what each variant and shadow serves right now.
 */
import type { Endpoint, Variant } from '../endpoints/endpoint.js';
import type { EndpointTable } from '../endpoints/gateway.js';
import type { RolloutController } from '../rollout/controller.js';

function servedNow(v: Variant): { model: string; version: string | null; flavor: string } | null {
  const version = v.model.served.current();
  return version === null ? null : { model: version.identity.name, version: version.identity.version, flavor: version.flavor };
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
    variants: e.variants.map((v, i) => ({ name: v.name, model_uri: v.uri, weight: weights[i]!, share: weights[i]! / total, serving: servedNow(v) })),
    shadows: e.shadows.map((s) => ({
      name: s.name,
      model_uri: s.uri,
      sample: s.sample,
      serving: servedNow(s),
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
