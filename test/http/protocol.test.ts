/**
 * Every error path of the scoring protocol (spec §1) answered with the right status and
 * body, on a real server with a column-signature ONNX model.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, MLFLOW_REAL } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';

const MODEL = join(MLFLOW_REAL, 'models', 'onnx_diabetes_linear');
const COLUMNS = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];
const ROW = [0.038, 0.05, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017];

describe.skipIf(!HAVE_SHARED)('scoring protocol on a real server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startFlowgate(MODEL, { timeout: '30' });
  });
  afterAll(() => server?.close());

  const post = (body: string, contentType: string | null = 'application/json', headers: Record<string, string> = {}) =>
    fetch(`${server.url}/invocations`, {
      method: 'POST',
      // a byte body, so that fetch adds no Content-Type of its own
      body: new TextEncoder().encode(body),
      headers: contentType === null ? headers : { 'Content-Type': contentType, ...headers },
    });
  const split = (columns: string[], data: unknown[][]) => JSON.stringify({ dataframe_split: { columns, data } });

  test('/ping and /health answer "\\n" as JSON; /version the version string', async () => {
    for (const path of ['/ping', '/health']) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.text()).toBe('\n');
    }
    const version = await fetch(`${server.url}/version`);
    expect(await version.text()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('a DataFrame prediction is records named after the ONNX output', async () => {
    const res = await post(split(COLUMNS, [ROW, ROW]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { variable: number }[] };
    expect(body.predictions).toHaveLength(2);
    expect(typeof body.predictions[0]!.variable).toBe('number');
  });

  test('CSV with a header is accepted; extra columns are dropped, order follows the schema', async () => {
    const csv = `extra,${[...COLUMNS].reverse().join(',')}\n1,${[...ROW].reverse().join(',')}\n`;
    const res = await post(csv, 'text/csv; charset=utf-8');
    expect(res.status).toBe(200);
    const json = (await res.json()) as { predictions: { variable: number }[] };
    const direct = (await (await post(split(COLUMNS, [ROW]))).json()) as { predictions: { variable: number }[] };
    expect(json.predictions[0]!.variable).toBeCloseTo(direct.predictions[0]!.variable, 5);
  });

  test.each([
    ['malformed JSON', 400, 'BAD_REQUEST', '{"dataframe_split": '],
    ['empty body', 400, 'BAD_REQUEST', ''],
    ['no input field', 400, 'BAD_REQUEST', '{"data": [[1]]}'],
    ['two input fields', 400, 'BAD_REQUEST', '{"inputs": [], "instances": []}'],
    ['top-level list', 400, 'BAD_REQUEST', '[[1, 2]]'],
    ['missing column', 400, 'INVALID_PARAMETER_VALUE', JSON.stringify({ dataframe_split: { columns: COLUMNS.slice(1), data: [ROW.slice(1)] } })],
    ['string in a double column', 400, 'BAD_REQUEST', JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [['abc', ...ROW.slice(1)]] } })],
    ['a list of lists for a column schema', 400, 'INVALID_PARAMETER_VALUE', JSON.stringify({ inputs: [ROW] })],
  ])('%s → %i %s in MLflow\'s error shape', async (_name, status, code, body) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as { error_code: string; message: string };
    expect(json.error_code).toBe(code);
    expect(json.message.length).toBeGreaterThan(10);
  });

  test.each([
    ['text/plain', "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'text/plain'."],
    ['application/json; format=pandas-split', 'Unrecognized content type parameters: format.'],
    ['application/json; charset=latin-1', 'The scoring server only supports UTF-8'],
  ])('content type %s → 415 as MLflow words it', async (type, message) => {
    const res = await post(split(COLUMNS, [ROW]), type);
    expect(res.status).toBe(415);
    expect(await res.text()).toContain(message);
  });

  test('a missing Content-Type is a clean 415, not MLflow\'s 500', async () => {
    const res = await post(split(COLUMNS, [ROW]), null);
    expect(res.status).toBe(415);
    expect(await res.text()).toContain('Missing Content-Type header');
  });

  test('unknown path → 404 and wrong method → 405 with Allow, both JSON', async () => {
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
    const wrong = await fetch(`${server.url}/invocations`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(((await wrong.json()) as { error_code: string }).error_code).toBe('BAD_REQUEST');
  });

  test('x-request-id is echoed, or one is made up', async () => {
    const given = await post(split(COLUMNS, [ROW]), 'application/json', { 'x-request-id': 'abc-123' });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await post(split(COLUMNS, [ROW]));
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.headers.get('x-flowgate-model')).toBe('onnx_diabetes_linear');
  });

  test('/metrics has request counts and latency by model, version, route and code, and process metrics', async () => {
    await post(split(COLUMNS, [ROW]));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/flowgate_requests_total\{model="onnx_diabetes_linear",version="",route="\/invocations",code="200"\} \d+/);
    expect(text).toContain('flowgate_request_duration_seconds_bucket{le="0.0005"');
    expect(text).toMatch(/flowgate_model_served\{model="onnx_diabetes_linear",version="",flavor="onnx"\} 1/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

describe.skipIf(!HAVE_SHARED)('request timeout', () => {
  test('a request over the timeout gets MLflow\'s 504 body', async () => {
    const server = await startFlowgate(MODEL, { timeout: '0.000001' });
    try {
      const res = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: Array.from({ length: 2000 }, () => ROW) } }),
      });
      expect(res.status).toBe(504);
      expect(await res.text()).toBe('Request processing time exceeded limit');
    } finally {
      await server.close();
    }
  });
});
