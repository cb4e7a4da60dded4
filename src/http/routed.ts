/**
 * A prediction route, whatever its protocol: read the body, find the endpoint (after the
 * body, so a config reloaded during a slow upload is the one used), let the scorer answer,
 * and write the outcome with the headers naming the endpoint, variant, model and version
 * that answered. Responses are built from a plain header record of a fixed shape, which
 * @hono/node-server writes without ever creating a web Headers object.
 */
import type { Context } from 'hono';
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Codec, DecodedRequest } from '../serving/codec.js';
import type { ScoreOutcome, Scorer } from '../serving/scorer.js';
import type { HeaderReader, ScoringEndpoint } from '../serving/scoring-endpoint.js';
import { jsonHeaderLength } from '../protocol/v2-request.js';
import type { RequestPayload } from '../serving/codec.js';
import { BodyTooLarge, ClientClosed, readBody } from './body.js';
import { csvShapeScanner, jsonShapeScanner, prefixScanner, type BodyShapeLimits } from './body-shape.js';
import type { AppEnv } from './context.js';
import { lingerAfterResponse } from './linger.js';
import type { ErrorRenderer } from './render.js';

export interface RouteDeps {
  scorer: Scorer;
  metrics: Metrics;
  logger: Logger;
  /** --max-body-size: bytes, unless the endpoint sets its own */
  maxBodyBytes: number;
  /** --max-json-depth, --max-elements */
  bodyShape: BodyShapeLimits;
}

export interface ScoringRoute<P, D extends DecodedRequest> {
  codec: Codec<P, D>;
  render: ErrorRenderer;
  /** how the body is written, for the shape limits */
  format: 'json' | 'csv';
  /** the endpoint named by the request, or its protocol's not-found error */
  endpoint: () => ScoringEndpoint | MlflowError;
  pinned?: string | undefined;
  /** the endpoint's own body limit (flowgate.yaml `max_body_size`), read before the body */
  maxBodyBytes?: number | null | undefined;
  /**
   * V2's binary tensor data extension: the request header giving the JSON header's byte length;
   * when a request sends it, the codec gets the body's bytes and that length.
   */
  binaryHeader?: string;
}

/** Nginx's "client closed request": never sent (the client is gone), only counted. */
const CLIENT_CLOSED = 499;

export async function scoreRoute<P, D extends DecodedRequest>(c: Context<AppEnv>, route: ScoringRoute<P, D>, deps: RouteDeps): Promise<Response> {
  const header = headerReader(c);
  const headerLength = route.binaryHeader === undefined ? undefined : header(route.binaryHeader);
  // The shape limits apply to the JSON header of a binary body; a header length that is no length is the codec's 400.
  const jsonLength = headerLength === undefined ? null : jsonHeaderLength(headerLength);
  const shape = (route.format === 'json' ? jsonShapeScanner : csvShapeScanner)(deps.bodyShape);
  let bytes: Uint8Array;
  try {
    bytes = await readBody(c, route.maxBodyBytes ?? deps.maxBodyBytes, jsonLength === null ? shape : prefixScanner(shape, jsonLength));
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      deps.metrics.refuse('body_too_large');
      return bodyTooLarge(c, err, route.render);
    }
    if (!(err instanceof ClientClosed)) throw err;
    deps.metrics.clientClosed.inc();
    deps.logger.info({ reqId: c.get('requestId'), path: c.req.path }, err.message);
    return new Response(null, { status: CLIENT_CLOSED });
  }
  const body: RequestPayload = headerLength === undefined ? { bytes } : { bytes, binary: { headerLength, maxElements: deps.bodyShape.maxElements } };
  // a header length that is no length, or past the body's end: the codec's 400 says so
  const shapeProblem = jsonLength !== null && !(jsonLength <= bytes.byteLength) ? null : shape.problem;
  if (shapeProblem !== null) {
    deps.metrics.refuse(shapeProblem.reason);
    return route.render(new MlflowError('BAD_REQUEST', shapeProblem.message));
  }
  const endpoint = route.endpoint();
  if (endpoint instanceof MlflowError) return route.render(endpoint);
  const outcome = await deps.scorer.score({ endpoint, codec: route.codec, body, header, requestId: c.get('requestId'), pinned: route.pinned });
  return respondScored(c, outcome, route.render);
}

/**
 * 413 in the route's protocol, and the connection closed after it: the rest of the body is
 * read and discarded for a bounded while first (linger.ts), so that the client, still
 * sending, receives the 413 rather than a reset.
 */
function bodyTooLarge(c: Context<AppEnv>, err: BodyTooLarge, render: ErrorRenderer): Response {
  c.set('requestIdSent', true);
  lingerAfterResponse(c.env.incoming);
  return render(new MlflowError('REQUEST_LIMIT_EXCEEDED', err.message, { status: 413 }), {
    'Content-Type': 'application/json',
    Connection: 'close',
    'x-request-id': c.get('requestId'),
  });
}

/** The response to a scored request, in `render`'s protocol when it failed. */
function respondScored(c: Context<AppEnv>, outcome: ScoreOutcome, render: ErrorRenderer): Response {
  const id = c.get('requestId');
  const answered = outcome.answered;
  let headers: Record<string, string>;
  if (answered === null) {
    headers = { 'Content-Type': 'application/json', 'x-request-id': id };
  } else {
    c.set('answered', answered);
    const { variant, version } = answered;
    const number = version.identity.version;
    // Literals of a fixed shape: V8 builds them in a few ns; spreading a cached record costs ~1 µs.
    headers =
      number === null
        ? { 'Content-Type': 'application/json', 'x-flowgate-endpoint': variant.labels.endpoint, 'x-flowgate-variant': variant.name, 'x-flowgate-model': version.identity.name, 'x-request-id': id }
        : { 'Content-Type': 'application/json', 'x-flowgate-endpoint': variant.labels.endpoint, 'x-flowgate-variant': variant.name, 'x-flowgate-model': version.identity.name, 'x-flowgate-version': number, 'x-request-id': id };
  }
  c.set('requestIdSent', true);
  if (outcome.ok) {
    const body = outcome.body;
    if (typeof body === 'string') return new Response(body, { status: 200, headers });
    if (body.headerLength !== undefined) {
      // Binary tensor data: the JSON header, then the outputs' bytes.
      headers['Content-Type'] = 'application/octet-stream';
      headers['Inference-Header-Content-Length'] = String(body.headerLength);
    }
    return new Response(body.bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }
  if (outcome.error.status === 503) headers['Retry-After'] = '1'; // a full queue, or a model not loaded yet
  return render(outcome.error, headers);
}

/** Request headers by lower-case name, read from the parsed Node headers without building a web Headers. */
export function headerReader(c: Context<AppEnv>): HeaderReader {
  const headers = c.env.incoming.headers;
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}
