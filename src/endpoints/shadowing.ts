/**
 * Shadow traffic: after the primary variant has answered, a sampled copy of the request
 * runs on each shadow. Its outcome (agree: the same predictions as the primary, disagree,
 * or error), its latency and its drops go to metrics and logs, never to the client.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { ModelInput } from '../model/data.js';
import { formatOutput } from '../protocol/json-output.js';
import type { ModelVersion } from '../serving/model-version.js';
import type { Endpoint, Shadow } from './endpoint.js';

/** Decodes the request for one model version (shadows may have another signature than the primary). */
export type RequestDecoder = (version: ModelVersion) => { input: ModelInput; params: unknown };

export interface ShadowRequest {
  endpoint: Endpoint;
  decode: RequestDecoder;
  /** the primary's predictions as formatOutput wrote them (only answered requests are shadowed) */
  primary: string;
  requestId: string;
}

/** Offers the request to every shadow of the endpoint that samples it. */
export function sendToShadows(request: ShadowRequest, metrics: Metrics, logger: Logger): void {
  for (const shadow of request.endpoint.shadows) {
    if (shadow.sample < 1 && Math.random() >= shadow.sample) continue;
    const accepted = shadow.queue.offer(() => runShadow(shadow, request, metrics, logger));
    if (!accepted) metrics.shadowDropped.with(shadow.labels).inc();
  }
}

async function runShadow(shadow: Shadow, request: ShadowRequest, metrics: Metrics, logger: Logger): Promise<void> {
  const version = shadow.model.served.current();
  const started = performance.now();
  let outcome: 'agree' | 'disagree' | 'error';
  let error: string | undefined;
  try {
    if (version === null) throw new Error('the shadow model is not loaded');
    const { input, params } = request.decode(version);
    const predictions = formatOutput(await version.predict(input, params));
    outcome = predictions === request.primary ? 'agree' : 'disagree';
  } catch (err) {
    outcome = 'error';
    error = (err as Error).message;
  }
  const seconds = (performance.now() - started) / 1000;
  metrics.shadowRequests.with({ ...shadow.labels, outcome }).inc();
  request.endpoint.stats.shadow(shadow.name, outcome);
  metrics.shadowLatency.with(shadow.labels).observe(seconds);
  logger.info(
    {
      reqId: request.requestId,
      endpoint: shadow.labels.endpoint,
      shadow: shadow.name,
      model: version?.identity.name,
      version: version?.identity.version ?? '',
      ms: Math.round(seconds * 1e6) / 1e3,
      outcome,
      error,
    },
    'shadow',
  );
}
