/**
 * The Open Inference Protocol (V2) REST API: server and model metadata from the MLflow
 * signature, health, typed-tensor inference routed like /invocations, pinned versions,
 * and `{"error": ...}` for every failure. V2 answers the same predictions as /invocations.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startGateway, type GatewayUnderTest } from '../routing/helpers.js';

const IRIS_INPUT = { name: 'input', datatype: 'FP32', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6.3, 2.5, 4.9, 1.5] };

interface V2Response {
  model_name: string;
  model_version?: string;
  id?: string;
  outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[];
}

describe('V2 REST on a routed endpoint (example registry)', () => {
  let root: string;
  let gw: GatewayUnderTest;
  let url: string;
  beforeAll(async () => {
    root = copyExampleRegistry();
    gw = await startGateway(
      `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion",   weight: 50 }
      - { name: challenger, model: "models:/iris@challenger", weight: 50 }
    sticky: { header: x-user-id }
`,
      { trackingUri: root },
    );
    url = gw.server.url;
  });
  afterAll(async () => {
    await gw?.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const infer = (body: unknown, path = '/v2/models/iris/infer', headers: Record<string, string> = {}) =>
    fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  test('server metadata, liveness and readiness', async () => {
    expect(await (await fetch(`${url}/v2`)).json()).toEqual({ name: 'flowgate', version: expect.stringMatching(/^\d+\.\d+\.\d+/), extensions: ['binary_tensor_data'] });
    const live = await fetch(`${url}/v2/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { live: true }]);
    const ready = await fetch(`${url}/v2/health/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    const model = await fetch(`${url}/v2/models/iris/ready`);
    expect([model.status, await model.json()]).toEqual([200, { name: 'iris', ready: true }]);
  });

  test('model metadata comes from the signature; versions are those served now', async () => {
    expect(await (await fetch(`${url}/v2/models/iris`)).json()).toEqual({
      name: 'iris',
      versions: ['1', '2'],
      platform: 'mlflow_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
    expect(((await (await fetch(`${url}/v2/models/iris/versions/2`)).json()) as { versions: string[] }).versions).toEqual(['2']);
  });

  test('infer answers typed tensors named after the model outputs, with the routing headers', async () => {
    const res = await infer({ id: 'req-7', inputs: [IRIS_INPUT] }, '/v2/models/iris/infer', { 'x-flowgate-variant': 'champion' });
    expect(res.status).toBe(200);
    expect([res.headers.get('x-flowgate-endpoint'), res.headers.get('x-flowgate-variant'), res.headers.get('x-flowgate-model'), res.headers.get('x-flowgate-version')]).toEqual([
      'iris',
      'champion',
      'iris',
      '1',
    ]);
    const body = (await res.json()) as V2Response;
    expect(body.model_name).toBe('iris');
    expect(body.model_version).toBe('1');
    expect(body.id).toBe('req-7');
    expect(body.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['label', 'INT64', [2]],
      ['probabilities', 'FP32', [2, 3]],
    ]);
    expect(body.outputs[0]!.data).toEqual([0, 1]);
    expect(body.outputs[1]!.data).toHaveLength(6);
  });

  test('V2 infer answers the same predictions as /invocations, for each version', async () => {
    for (const variant of ['champion', 'challenger']) {
      const mlflow = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-flowgate-variant': variant },
        body: JSON.stringify({ inputs: [IRIS_INPUT.data.slice(0, 4), IRIS_INPUT.data.slice(4)] }),
      });
      const predictions = ((await mlflow.json()) as { predictions: { label: number[]; probabilities: number[][] } }).predictions;
      const v2 = (await (await infer({ inputs: [IRIS_INPUT] }, '/v2/models/iris/infer', { 'x-flowgate-variant': variant })).json()) as V2Response;
      expect(v2.outputs[0]!.data).toEqual(predictions.label);
      expect(v2.outputs[1]!.data).toEqual(predictions.probabilities.flat());
    }
  });

  test('nested data, requested outputs, and sticky routing work as on /invocations', async () => {
    const nested = { ...IRIS_INPUT, data: [IRIS_INPUT.data.slice(0, 4), IRIS_INPUT.data.slice(4)] };
    const res = await infer({ inputs: [nested], outputs: [{ name: 'probabilities' }] });
    const body = (await res.json()) as V2Response;
    expect(body.outputs.map((o) => o.name)).toEqual(['probabilities']);
    const versions = new Set<string | null>();
    for (let i = 0; i < 10; i++) versions.add((await infer({ inputs: [IRIS_INPUT] }, '/v2/models/iris/infer', { 'x-user-id': 'alice' })).headers.get('x-flowgate-version'));
    expect(versions.size).toBe(1);
  });

  test('versions/{v} pins the variant serving that registry version', async () => {
    for (const [version, variant] of [
      ['1', 'champion'],
      ['2', 'challenger'],
    ]) {
      const res = await infer({ inputs: [IRIS_INPUT] }, `/v2/models/iris/versions/${version}/infer`, { 'x-user-id': 'alice' });
      expect([res.status, res.headers.get('x-flowgate-variant'), ((await res.json()) as V2Response).model_version]).toEqual([200, variant, version]);
    }
    const missing = await infer({ inputs: [IRIS_INPUT] }, '/v2/models/iris/versions/7/infer');
    expect([missing.status, await missing.json()]).toEqual([404, { error: "Model 'iris' version '7' is not served here (versions served: 1, 2)." }]);
    expect((await fetch(`${url}/v2/models/iris/versions/2/ready`)).status).toBe(200);
    expect((await fetch(`${url}/v2/models/iris/versions/7/ready`)).status).toBe(404);
  });

  test.each([
    ['invalid JSON', '{"inputs": [', 400, /^The body is not valid JSON/],
    ['no inputs', { inputs: [] }, 400, /"inputs" must be a non-empty list of tensors/],
    ['an unknown datatype', { inputs: [{ ...IRIS_INPUT, datatype: 'FLOAT' }] }, 400, /"datatype" must be one of BOOL, UINT8.*BYTES; got "FLOAT"/],
    ['data that does not fill the shape', { inputs: [{ ...IRIS_INPUT, shape: [3, 4] }] }, 400, /^Input 'input': shape \[3, 4\] holds 12 elements, but "data" has 8\.$/],
    ['a string in a number tensor', { inputs: [{ ...IRIS_INPUT, data: ['5.1', ...IRIS_INPUT.data.slice(1)] }] }, 400, /^Input 'input': FP32 element 0 must be a number or null; got "5.1"\.$/],
    ['an integer out of range', { inputs: [{ name: 'input', datatype: 'INT8', shape: [1, 4], data: [1, 2, 3, 300] }] }, 400, /INT8 element 3 must be an integer in \[-128, 127\]; got 300/],
    ['null in an integer tensor', { inputs: [{ name: 'input', datatype: 'INT64', shape: [1, 4], data: [1, 2, null, 4] }] }, 400, /INT64 element 2 must be a number; got null/],
    ['a binary_data_size without Inference-Header-Content-Length', { inputs: [{ ...IRIS_INPUT, data: undefined, parameters: { binary_data_size: 32 } }] }, 400, /gives a binary_data_size, but the request has no Inference-Header-Content-Length header/],
    ['an unknown output', { inputs: [IRIS_INPUT], outputs: [{ name: 'logits' }] }, 400, /The model has no output 'logits' \(outputs: label, probabilities\)/],
    ['an input the model does not have', { inputs: [{ ...IRIS_INPUT, name: 'x' }] }, 400, /Model is missing inputs \['input'\]\. Note that there were extra inputs: \['x'\]/],
    ['a wrong shape', { inputs: [{ ...IRIS_INPUT, shape: [4, 2] }] }, 400, /Shape of input \(4, 2\) does not match expected shape \(-1, 4\)/],
  ].map(([name, body, status, message]) => ({ name, body, status, message })))('$name is a $status with {"error": ...}', async ({ body, status, message }) => {
    const res = await infer(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: string };
    expect(Object.keys(json)).toEqual(['error']);
    expect(json.error).toMatch(message as RegExp);
  });

  test('unknown models, paths and methods answer {"error"}', async () => {
    const unknown = await infer({ inputs: [IRIS_INPUT] }, '/v2/models/fraud/infer');
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: "Model 'fraud' is not served here (models: iris)." }]);
    expect((await fetch(`${url}/v2/models/fraud`)).status).toBe(404);
    const get = await fetch(`${url}/v2/models/iris/infer`);
    expect([get.status, get.headers.get('allow'), Object.keys((await get.json()) as object)]).toEqual([405, 'POST', ['error']]);
    const nowhere = await fetch(`${url}/v2/repository/index`);
    expect([nowhere.status, Object.keys((await nowhere.json()) as object)]).toEqual([404, ['error']]);
  });

  test('an unknown forced variant is a 404 {"error"}', async () => {
    const res = await infer({ inputs: [IRIS_INPUT] }, '/v2/models/iris/infer', { 'x-flowgate-variant': 'canary' });
    expect([res.status, await res.json()]).toEqual([404, { error: "Endpoint 'iris' has no variant 'canary' (variants: champion, challenger)." }]);
  });
});
