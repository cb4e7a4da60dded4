/**
 * GET /openapi.json on a real gateway: a valid OpenAPI 3.1 document (checked by
 * @seriousme/openapi-schema-validator) with a path for every route, each endpoint's
 * signature as its request schema; protected like the inference routes unless
 * --public-openapi. The zod envelopes it is generated from give the verdicts of the real
 * decoders and of real MLflow: every body MLflow answered 200 is accepted by the envelope
 * (and by the model's signature schema), every body the envelope refuses the decoder
 * refuses too.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseMLmodel } from '../../src/model/mlmodel.js';
import { decodeJsonDocument } from '../../src/protocol/json-request.js';
import { parseV2InferRequest } from '../../src/protocol/v2-request.js';
import { scoringRequestSchema, signatureRequestSchema, v2InferRequestSchema } from '../../src/protocol/request-schemas.js';
import { HAVE_SHARED, invocationExchanges, type Exchange, MLFLOW_REAL, servingExchanges, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startGateway, type GatewayUnderTest } from '../routing/helpers.js';
import { startFlowgate } from '../helpers/server.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is untyped JSON */
const YAML = `
endpoints:
  iris:
    variants: [{ model: "models:/iris/1" }]
    feedback: {}
  iris-next:
    variants: [{ model: "models:/iris/2" }]
default_endpoint: iris
`;

describe('/openapi.json', () => {
  let root: string;
  let gw: GatewayUnderTest;
  let doc: any;
  beforeAll(async () => {
    root = copyExampleRegistry();
    gw = await startGateway(YAML, { trackingUri: root, workers: '0' });
    const res = await fetch(`${gw.server.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // the validator is not a rubber stamp
    const broken = structuredClone(doc);
    broken.paths['/invocations'].post.responses = 'none';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  test('describes every route: MLflow scoring, V2, endpoints, feedback, health, metrics, admin', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/ping', '/health', '/version', '/invocations', '/endpoints/iris/invocations', '/endpoints/iris-next/invocations', '/endpoints/iris/feedback',
        '/v2', '/v2/health/live', '/v2/health/ready', '/v2/models/{name}', '/v2/models/{name}/ready', '/v2/models/{name}/versions/{version}',
        '/v2/models/{name}/versions/{version}/ready', '/v2/models/iris/infer', '/v2/models/iris-next/infer', '/metrics', '/endpoints', '/openapi.json', '/ui',
        '/admin/rollouts/{endpoint}', '/admin/rollouts/{endpoint}/{verb}',
      ].sort(),
    );
    expect(doc.paths['/v2/models/{name}'].get.parameters[0].schema.enum).toEqual(['iris', 'iris-next']);
    // the feedback schema is the zod schema that validates feedback
    expect(JSON.stringify(doc.paths['/endpoints/iris/feedback'].post.requestBody.content['application/json'].schema)).toContain('request_id');
  });

  test("each endpoint's request schema is its model's input signature", () => {
    const inputs = gw.server.gateway.endpoints.byName.get('iris')!.variants[0]!.model.served.current()!.inputSchema;
    expect(inputs).not.toBeNull();
    const names = inputs!.kind === 'columns' ? inputs!.columns.map((c) => c.name) : inputs!.tensors.map((t) => t.name);
    expect(names.length).toBeGreaterThan(0);
    const schema = JSON.stringify(doc.paths['/endpoints/iris/invocations'].post.requestBody.content['application/json'].schema);
    for (const name of names) expect(schema).toContain(JSON.stringify(name));
    expect(JSON.stringify(doc.paths['/v2/models/iris/infer'].post.requestBody.content['application/json'].schema)).toContain('"datatype"');
    expect(doc.paths['/invocations'].post.requestBody.content['text/csv']).toBeDefined();
  });
});

describe('/openapi.json behind auth', () => {
  test('needs an inference credential, unless --public-openapi; the document lists the schemes', async () => {
    const root = copyExampleRegistry();
    const env = { FLOWGATE_AUTH_TOKENS: 'inference-token-0123456789' };
    const closed = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0' }, env);
    const open = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', publicOpenapi: true }, env);
    try {
      expect((await fetch(`${closed.url}/openapi.json`)).status).toBe(401);
      const withToken = await fetch(`${closed.url}/openapi.json`, { headers: { Authorization: 'Bearer inference-token-0123456789' } });
      expect(withToken.status).toBe(200);
      const doc = (await withToken.json()) as any;
      expect(doc.paths['/invocations'].post.security).toEqual([{ bearer: [] }]);
      expect(doc.paths['/openapi.json'].get.security).toEqual([{ bearer: [] }]);
      const pub = await fetch(`${open.url}/openapi.json`);
      expect(pub.status).toBe(200);
      expect(((await pub.json()) as any).paths['/openapi.json'].get.security).toBeUndefined();
      // public: the document only; inference stays closed
      expect((await fetch(`${open.url}/endpoints`)).status).toBe(401);
    } finally {
      await closed.close();
      await open.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const NOT_JSON = Symbol('not a JSON /invocations body');

/** The parsed body of a JSON /invocations request (NOT_JSON for CSV, other routes, bodies that do not parse). */
function jsonInvocation(exchange: Exchange): unknown {
  const { request } = exchange;
  if (request.path !== '/invocations' || request.body === null || !/json/.test(request.headers['Content-Type'] ?? '')) return NOT_JSON;
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    return NOT_JSON;
  }
}

describe.skipIf(!HAVE_SHARED)('the zod envelopes give the verdicts of real MLflow and of the decoders', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
  const names = HAVE_SHARED ? readdirSync(join(MLFLOW_REAL, 'invocations')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')) : [];

  test('every JSON body MLflow answered 200 fits the envelope and the model signature; every body the envelope refuses, the decoder refuses', () => {
    let accepted = 0;
    let refused = 0;
    for (const name of names) {
      const mlmodelPath = join(MLFLOW_REAL, 'models', name, 'MLmodel');
      const mlmodel = existsSync(mlmodelPath) ? parseMLmodel(readFileSync(mlmodelPath, 'utf8')) : null;
      const signature = mlmodel === null || mlmodel.signatureFromTypeHint ? null : mlmodel.signature;
      for (const exchange of invocationExchanges(MLFLOW_REAL, name)) {
        const doc = jsonInvocation(exchange);
        if (doc === NOT_JSON) continue;
        const { response } = exchange;
        const where = `${name} / ${exchange.case}`;
        if (response.status === 200) {
          expect(scoringRequestSchema.safeParse(doc).success, where).toBe(true);
          if (signature !== null) expect(signatureRequestSchema(signature.inputs, signature.params).safeParse(doc).success, `${where} (signature)`).toBe(true);
          accepted++;
        }
        if (!scoringRequestSchema.safeParse(doc).success) {
          expect(() => decodeJsonDocument(doc, null), where).toThrow();
          refused++;
        }
      }
    }
    expect(accepted).toBeGreaterThan(20);
    // the recorded error cases (empty object, two input fields, a list, ...) of the serving fixtures
    for (const dir of readdirSync(join(MLFLOW_REAL, 'serving'))) {
      for (const exchange of servingExchanges(dir)) {
        const doc = jsonInvocation(exchange);
        if (doc === NOT_JSON) continue;
        const { response } = exchange;
        const fits = scoringRequestSchema.safeParse(doc).success;
        if (response.status === 200) expect(fits, `${dir} / ${exchange.case}`).toBe(true);
        if (!fits) {
          expect(response.status, `${dir} / ${exchange.case}: MLflow refused it too`).toBe(400);
          expect(() => decodeJsonDocument(doc, null), `${dir} / ${exchange.case}`).toThrow();
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(2);
  });
});

describe('the V2 envelope', () => {
  const t = { name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] };
  const bodies: unknown[] = [
    { inputs: [t] },
    { id: 'r1', inputs: [t], outputs: [{ name: 'y' }], parameters: { binary_data_output: false } },
    { inputs: [] },
    {},
    [],
    { inputs: [{ ...t, datatype: 'FLOAT' }] },
    { inputs: [{ ...t, shape: [-1, 2] }] },
    { inputs: [{ ...t, name: '' }] },
    { id: 3, inputs: [t] },
    { inputs: [t], outputs: [{}] },
    { inputs: [t], parameters: { binary_data_output: 'yes' } },
  ];
  test('refuses what the decoder refuses, and accepts what it accepts', () => {
    for (const body of bodies) {
      let decoded = true;
      try {
        parseV2InferRequest(body);
      } catch {
        decoded = false;
      }
      expect(v2InferRequestSchema.safeParse(body).success, JSON.stringify(body)).toBe(decoded);
    }
  });
});
