/**
 * The Open Inference Protocol (V2) REST API over the same endpoints: `{name}` is an
 * endpoint (routed like /invocations: forced variant, sticky key, weights, shadows) and
 * `versions/{v}` pins the variant serving registry version v. Errors are `{"error": "..."}`.
 */
import type { Context, Hono } from 'hono';
import type { Endpoint, Variant } from '../endpoints/endpoint.js';
import type { Gateway } from '../endpoints/gateway.js';
import { sendToShadows } from '../endpoints/shadowing.js';
import { MlflowError } from '../errors.js';
import type { Schema } from '../model/signature.js';
import { formatOutput } from '../protocol/json-output.js';
import { modelMetadata } from '../protocol/v2-metadata.js';
import { decodeV2InferBody, v2ModelInput, type V2InferRequest } from '../protocol/v2-request.js';
import { encodeV2Response, selectOutputs, v2Outputs } from '../protocol/v2-response.js';
import type { ModelVersion } from '../serving/model-version.js';
import { FLOWGATE_VERSION } from '../version.js';
import { readBodyBytes } from './body.js';
import { Timeout, TIMEOUT_BODY, withDeadline } from './deadline.js';
import type { InvocationsDeps } from './invocations.js';
import { headerReader, observeVariant, respond, servedHeaders } from './routed.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };

const errorBody = (message: string): string => JSON.stringify({ error: message });

function v2Error(status: number, message: string): Response {
  return new Response(errorBody(message), { status, headers: JSON_TYPE });
}

function fromMlflow(err: MlflowError): Response {
  return v2Error(err.status, err.message);
}

function inputSchema(version: ModelVersion): Schema | null {
  return version.mlmodel.signatureFromTypeHint ? null : (version.signature?.inputs ?? null);
}

interface Target {
  variant: Variant;
  version: ModelVersion;
}

/** The endpoint named in the path, or a 404 response. */
function endpointOf(gateway: Gateway, name: string): Endpoint | Response {
  return gateway.endpoints.byName.get(name) ?? v2Error(404, `Model '${name}' is not served here (models: ${gateway.endpoints.list.map((e) => e.name).join(', ')}).`);
}

/** The variant and version a request goes to: pinned by version, or routed. */
function target(c: Context, endpoint: Endpoint, pinned: string | undefined, doc?: unknown): Target | Response {
  if (pinned !== undefined) {
    const found = endpoint.servingVersion(pinned);
    if (found !== null) return found;
    const served = endpoint.servedVersions();
    return v2Error(404, `Model '${endpoint.name}' version '${pinned}' is not served here (versions served: ${served.length > 0 ? served.join(', ') : 'none'}).`);
  }
  let variant: Variant;
  try {
    variant = endpoint.route(headerReader(c), doc);
  } catch (err) {
    if (err instanceof MlflowError) return fromMlflow(err);
    throw err;
  }
  const version = variant.model.served.current();
  return version === null ? v2Error(503, `Model '${endpoint.name}' is not loaded yet.`) : { variant, version };
}

export function v2Routes(app: Hono, gateway: Gateway, deps: InvocationsDeps): void {
  app.get('/v2', (c) => c.json({ name: 'flowgate', version: FLOWGATE_VERSION, extensions: ['binary_tensor_data'] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => {
    const ready = gateway.ready();
    return c.json({ ready }, ready ? 200 : 503);
  });

  const metadata = (c: Context) => {
    const endpoint = endpointOf(gateway, c.req.param('name')!);
    if (endpoint instanceof Response) return endpoint;
    const pinned = c.req.param('version');
    const t = target(c, endpoint, pinned);
    if (t instanceof Response) return t;
    const versions = pinned !== undefined ? [pinned] : endpoint.servedVersions();
    return c.json(modelMetadata(endpoint.name, versions, t.version.flavor, t.version.signature));
  };
  app.get('/v2/models/:name', metadata);
  app.get('/v2/models/:name/versions/:version', metadata);

  const ready = (c: Context) => {
    const endpoint = endpointOf(gateway, c.req.param('name')!);
    if (endpoint instanceof Response) return endpoint;
    const pinned = c.req.param('version');
    if (pinned !== undefined) {
      const t = target(c, endpoint, pinned);
      return t instanceof Response ? t : c.json({ name: endpoint.name, ready: true });
    }
    const isReady = endpoint.ready();
    return c.json({ name: endpoint.name, ready: isReady }, isReady ? 200 : 503);
  };
  app.get('/v2/models/:name/ready', ready);
  app.get('/v2/models/:name/versions/:version/ready', ready);

  const infer = async (c: Context) => {
    const endpoint = endpointOf(gateway, c.req.param('name')!);
    if (endpoint instanceof Response) return endpoint;
    return inferOn(c, endpoint, c.req.param('version'), deps);
  };
  app.post('/v2/models/:name/infer', infer);
  app.post('/v2/models/:name/versions/:version/infer', infer);
}

async function inferOn(c: Context, endpoint: Endpoint, pinned: string | undefined, deps: InvocationsDeps): Promise<Response> {
  const started = performance.now();
  const body = await readBodyBytes(c);
  let doc: unknown;
  let request: V2InferRequest;
  try {
    ({ doc, request } = decodeV2InferBody(body, c.req.header('inference-header-content-length')));
  } catch (err) {
    if (err instanceof MlflowError) return fromMlflow(err);
    throw err;
  }
  const t = target(c, endpoint, pinned, doc);
  if (t instanceof Response) return t;
  const { variant, version } = t;
  c.set('modelVersion' as never, version as never);
  const headers = servedHeaders(c, deps.metrics, endpoint, variant, version);
  const shadowed = endpoint.shadows.length > 0;
  let predictions = '';
  let response: Response;
  let errorCode: string | null = null;
  try {
    const encoded = await withDeadline(deps.timeoutSeconds * 1000, async () => {
      const output = await version.predict(v2ModelInput(request.inputs, inputSchema(version)), request.parameters);
      if (shadowed) predictions = formatOutput(output);
      const outputs = selectOutputs(v2Outputs(output, version.signature?.outputs ?? null), request.outputs);
      return encodeV2Response({ modelName: endpoint.name, modelVersion: version.identity.version, id: request.id }, outputs, request.binaryOutput);
    });
    const binaryHeaders = encoded.headerLength === null ? headers : { ...headers, 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(encoded.headerLength) };
    response = respond(c, encoded.body, 200, binaryHeaders);
  } catch (err) {
    if (err instanceof Timeout) {
      errorCode = 'DEADLINE_EXCEEDED';
      response = respond(c, errorBody(TIMEOUT_BODY), 504, headers);
    } else if (err instanceof MlflowError) {
      errorCode = err.errorCode;
      response = respond(c, errorBody(err.message), err.status, headers);
    } else {
      throw err;
    }
  }
  observeVariant(deps.metrics, endpoint, variant, version, response.status, (performance.now() - started) / 1000, errorCode);
  if (errorCode === null && shadowed) {
    sendToShadows(
      {
        endpoint,
        decode: (v) => ({ input: v2ModelInput(request.inputs, inputSchema(v)), params: request.parameters }),
        primary: predictions,
        requestId: c.get('requestId' as never) ?? '',
      },
      deps.metrics,
      deps.logger,
    );
  }
  return response;
}
