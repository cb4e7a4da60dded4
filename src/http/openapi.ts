/**
 * GET /openapi.json: an OpenAPI 3.1 description of every route, built per request from the
 * endpoints served now, so each endpoint's path carries the request schema of its model's
 * signature (the first variant's version served now; the generic body while it loads).
 * Schemas come from zod (z.toJSONSchema, JSON Schema 2020-12, the dialect of OpenAPI 3.1):
 * the protocol envelopes of request-schemas.ts, the feedback body that validates feedback.
 */
import { z } from 'zod';
import type { Endpoint } from '../endpoints/endpoint.js';
import type { EndpointTable } from '../endpoints/gateway.js';
import { signatureRequestSchema, signatureV2Schema } from '../protocol/request-schemas.js';
import { FLOWGATE_VERSION } from '../version.js';
import { feedbackBodySchema } from './feedback-routes.js';

export interface OpenApiOptions {
  /** which credentials the protected routes take now, or none */
  auth: { bearer: boolean; basic: boolean; metricsToken: boolean };
  /** --public-openapi */
  publicOpenapi: boolean;
  /** --admin-port: the admin routes are on another port */
  adminPort: number | null;
}

type Json = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.1 schema object (the request side of its transforms). */
function schema(type: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

const mlflowError = schema(
  z.object({ error_code: z.string().describe('e.g. BAD_REQUEST, UNAUTHENTICATED, RESOURCE_DOES_NOT_EXIST'), message: z.string(), stack_trace: z.string().optional() }).describe("MLflow's error body"),
);
const v2Error = schema(z.object({ error: z.string() }).describe("The Open Inference Protocol's error body"));
const predictions = schema(z.object({ predictions: z.unknown() }).describe("MLflow's answer: {\"predictions\": ...} (unified-LLM requests are answered unwrapped)"));
const v2Response = schema(
  z.object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    outputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.int()), data: z.unknown().optional(), parameters: z.record(z.string(), z.unknown()).optional() })),
  }),
);

const json = (body: Json, description: string) => ({ description, content: { 'application/json': { schema: body } } });
const text = (description: string, type = 'text/plain') => ({ description, content: { [type]: { schema: { type: 'string' } } } });

/** The error answers of a route, in its protocol's shape. */
function errors(shape: Json, codes: number[]): Json {
  const why: Record<number, string> = {
    400: 'The request is not valid for the model',
    401: 'Credentials missing or wrong (WWW-Authenticate names the schemes)',
    403: 'x-flowgate-variant without an admin token of the endpoint',
    404: 'No such endpoint, model or version',
    413: 'The body is larger than the limit',
    415: 'A content type the route does not read',
    503: 'No model loaded yet, or the queue is full (Retry-After)',
    504: 'The prediction took longer than the timeout',
  };
  return Object.fromEntries(codes.map((code) => [String(code), json(shape, why[code]!)]));
}

function signatureOf(endpoint: Endpoint) {
  const version = endpoint.variants[0]!.model.served.current();
  return { inputs: version?.inputSchema ?? null, params: version?.signature?.params ?? null, what: version === null ? 'not loaded yet' : `${version.identity.name} ${version.identity.version ?? ''}`.trim() };
}

export function openApiDocument(table: EndpointTable, options: OpenApiOptions): Json {
  const authOn = options.auth.bearer || options.auth.basic || table.list.some((e) => e.access !== null);
  const schemes = [...(options.auth.bearer || table.list.some((e) => e.access !== null) ? ['bearer'] : []), ...(options.auth.basic ? ['basic'] : [])];
  const inference = authOn ? { security: schemes.map((s) => ({ [s]: [] })) } : {};
  const monitoring = options.auth.metricsToken ? { security: [{ metricsToken: [] }] } : {};
  const inferenceErrors = authOn ? [401, 403] : [];
  const adminNote = options.adminPort === null ? '' : ` Served on the admin port (${options.adminPort}).`;
  const paths: Record<string, Json> = {};
  const scoring = (endpoint: Endpoint, summary: string) => {
    const signature = signatureOf(endpoint);
    return {
      post: {
        summary,
        description: `MLflow's scoring protocol; the JSON schema is the input signature of ${signature.what}. Send x-flowgate-variant to force a variant${authOn ? ' (admin tokens only)' : ''}.`,
        tags: ['MLflow scoring'],
        ...inference,
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: schema(signatureRequestSchema(signature.inputs, signature.params)) },
            'text/csv': { schema: { type: 'string', description: 'A CSV table with a header row' } },
          },
        },
        responses: { '200': json(predictions, 'The predictions'), ...errors(mlflowError, [400, ...inferenceErrors, 404, 413, 415, 503, 504]) },
      },
    };
  };
  const probe = (summary: string) => ({ get: { summary, tags: ['Health'], responses: { '200': text('Ready', 'application/json'), '503': json(mlflowError, 'Not ready') } } });
  paths['/ping'] = probe('Readiness: 200 once the models serve, 503 before and while shutting down');
  paths['/health'] = probe('Liveness: 200 while the process runs');
  paths['/version'] = { get: { summary: 'The flowgate version', tags: ['Health'], responses: { '200': text('The version') } } };
  paths['/invocations'] = scoring(table.defaultEndpoint, `Predict with the default endpoint (${table.defaultEndpoint.name})`);
  for (const endpoint of table.list) {
    paths[`/endpoints/${endpoint.name}/invocations`] = scoring(endpoint, `Predict with endpoint ${endpoint.name}`);
    const signature = signatureOf(endpoint);
    paths[`/v2/models/${endpoint.name}/infer`] = {
      post: {
        summary: `Infer with endpoint ${endpoint.name} (Open Inference Protocol)`,
        tags: ['Open Inference Protocol (V2)'],
        ...inference,
        requestBody: { required: true, content: { 'application/json': { schema: schema(signatureV2Schema(signature.inputs)) } } },
        responses: { '200': json(v2Response, 'The outputs'), ...errors(v2Error, [400, ...inferenceErrors, 404, 413, 503, 504]) },
      },
    };
    if (endpoint.feedback !== null) {
      paths[`/endpoints/${endpoint.name}/feedback`] = {
        post: {
          summary: `Feedback on predictions of ${endpoint.name}: labels or rewards by x-request-id`,
          tags: ['Feedback'],
          ...inference,
          requestBody: { required: true, content: { 'application/json': { schema: schema(feedbackBodySchema) } } },
          responses: { '200': json(schema(z.object({ scored: z.int(), unknown: z.int(), unscored: z.int(), results: z.array(z.record(z.string(), z.unknown())) })), 'Outcome per item'), ...errors(mlflowError, [400, ...inferenceErrors, 404, 413]) },
        },
      };
    }
  }
  const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', enum: table.list.map((e) => e.name) } };
  const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' }, description: 'A registry version the endpoint serves now' };
  const v2Get = (summary: string, parameters: Json[]) => ({ get: { summary, tags: ['Open Inference Protocol (V2)'], ...inference, parameters, responses: { '200': json({ type: 'object' }, summary), ...errors(v2Error, [...inferenceErrors, 404]) } } });
  paths['/v2'] = v2Get('Server metadata', []);
  paths['/v2/health/live'] = { get: { summary: 'V2 liveness', tags: ['Health'], responses: { '200': json({ type: 'object' }, 'Live') } } };
  paths['/v2/health/ready'] = { get: { summary: 'V2 readiness', tags: ['Health'], responses: { '200': json({ type: 'object' }, 'Ready'), '503': json(v2Error, 'Not ready') } } };
  paths['/v2/models/{name}'] = v2Get('Model metadata: inputs and outputs with V2 datatypes', [nameParam]);
  paths['/v2/models/{name}/ready'] = v2Get('Model readiness', [nameParam]);
  paths['/v2/models/{name}/versions/{version}'] = v2Get('Metadata of a version served now', [nameParam, versionParam]);
  paths['/v2/models/{name}/versions/{version}/ready'] = v2Get('Readiness of a version served now', [nameParam, versionParam]);
  const admin = (summary: string, response: Json, security: Json) => ({ summary: summary + adminNote, tags: ['Operations'], ...security, responses: { '200': response, ...errors(mlflowError, authOn || 'security' in security ? [401] : []) } });
  paths['/metrics'] = { get: admin('Prometheus metrics', text('Prometheus text format', 'text/plain; version=0.0.4'), monitoring) };
  paths['/endpoints'] = { get: admin('The endpoints: variants, weights, versions served and loading', json({ type: 'object' }, 'Endpoints'), inference) };
  paths['/openapi.json'] = { get: admin('This document', json({ type: 'object' }, 'OpenAPI 3.1'), options.publicOpenapi ? {} : inference) };
  paths['/ui'] = { get: admin('The live dashboard', text('HTML', 'text/html'), monitoring) };
  const endpointParam = { name: 'endpoint', in: 'path', required: true, schema: { type: 'string' } };
  paths['/admin/rollouts/{endpoint}'] = { get: { ...admin('Where a rollout stands', json({ type: 'object' }, 'The rollout'), inference), parameters: [endpointParam] } };
  paths['/admin/rollouts/{endpoint}/{verb}'] = {
    post: { ...admin('Pause, resume or abort a rollout', json({ type: 'object' }, 'The rollout'), inference), parameters: [endpointParam, { name: 'verb', in: 'path', required: true, schema: { type: 'string', enum: ['pause', 'resume', 'abort'] } }] },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'flowgate', version: FLOWGATE_VERSION, description: "MLflow models served by flowgate: MLflow's scoring protocol, the Open Inference Protocol (V2), and operations routes." },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A server-wide token, or a token of the endpoint (flowgate.yaml auth)' },
        basic: { type: 'http', scheme: 'basic', description: 'A user of the htpasswd file (bcrypt)' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'The --metrics-token' },
      },
    },
  };
}
