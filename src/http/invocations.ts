/**
 * MLflow's scoring protocol (spec §1.3–1.10) on a routed endpoint: `/invocations` (the
 * default endpoint) and `/endpoints/{name}/invocations`. The body is read before the
 * variant's version is taken, so a version swapped out meanwhile is never used: once
 * `predict` starts, the version holds until the request is done.
 */
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { Endpoint } from '../endpoints/endpoint.js';
import { sendToShadows } from '../endpoints/shadowing.js';
import { MlflowError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { requestFormat, UnsupportedContentType, type RequestFormat } from '../protocol/content-type.js';
import { parseJsonBody } from '../protocol/json-request.js';
import { decodeScoringRequest, scoringResponseBody } from '../protocol/scoring-request.js';
import { formatOutput } from '../protocol/json-output.js';
import type { ModelVersion } from '../serving/model-version.js';
import { readBodyText } from './body.js';
import { Timeout, TIMEOUT_BODY, withDeadline } from './deadline.js';
import { headerReader, observeVariant, respond, servedHeaders } from './routed.js';

export interface InvocationsDeps {
  metrics: Metrics;
  logger: Logger;
  timeoutSeconds: number;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

export function mlflowErrorResponse(err: MlflowError): Response {
  return new Response(JSON.stringify(err.toJSON()), { status: err.status, headers: JSON_TYPE });
}

export function notReady(): Response {
  return mlflowErrorResponse(new MlflowError('TEMPORARILY_UNAVAILABLE', 'No model is loaded yet.'));
}

export async function invocations(c: Context, endpoint: Endpoint, deps: InvocationsDeps): Promise<Response> {
  const started = performance.now();
  let format: RequestFormat;
  try {
    format = requestFormat(c.req.header('content-type'));
  } catch (err) {
    if (!(err instanceof UnsupportedContentType)) throw err;
    return c.body(err.message, 415, { 'Content-Type': 'text/plain; charset=utf-8' });
  }
  const body = await readBodyText(c);
  // A sticky key in the JSON body: parse once, for routing and decoding alike.
  let doc: unknown;
  if (endpoint.stickyPath !== null && format === 'json') {
    try {
      doc = parseJsonBody(body);
    } catch {
      doc = undefined; // decoding reports it with MLflow's message
    }
  }
  let variant;
  try {
    variant = endpoint.route(headerReader(c), doc);
  } catch (err) {
    if (err instanceof MlflowError) return mlflowErrorResponse(err);
    throw err;
  }
  const version = variant.model.served.current();
  if (version === null) return notReady();
  c.set('modelVersion' as never, version as never);
  const headers = servedHeaders(c, deps.metrics, endpoint, variant, version);
  let predictions = '';
  let response: Response;
  let errorCode: string | null = null;
  try {
    const text = await withDeadline(deps.timeoutSeconds * 1000, async () => {
      const request = decodeScoringRequest(format, body, version.mlmodel, doc);
      predictions = formatOutput(await version.predict(request.input, request.params));
      return scoringResponseBody(request, predictions);
    });
    response = respond(c, text, 200, headers);
  } catch (err) {
    if (err instanceof Timeout) {
      errorCode = 'DEADLINE_EXCEEDED';
      response = respond(c, TIMEOUT_BODY, 504, headers);
    } else if (err instanceof MlflowError) {
      errorCode = err.errorCode;
      response = respond(c, JSON.stringify(err.toJSON()), err.status, headers);
    } else {
      throw err;
    }
  }
  observeVariant(deps.metrics, endpoint, variant, version, response.status, (performance.now() - started) / 1000, errorCode);
  if (errorCode === null) endpoint.feedback?.remember(c.get('requestId' as never) ?? '', variant.name, version.identity.version, predictions);
  if (errorCode === null && endpoint.shadows.length > 0) {
    sendToShadows(
      { endpoint, decode: (v) => decodeScoringRequest(format, body, v.mlmodel, doc), primary: predictions, requestId: c.get('requestId' as never) ?? '' },
      deps.metrics,
      deps.logger,
    );
  }
  return response;
}
