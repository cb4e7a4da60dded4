/**
 * V2's binary tensor data extension, as Triton's and KServe's HTTP clients use it: a JSON header
 * of Inference-Header-Content-Length bytes, then each input's raw little-endian elements (inputs
 * name their `binary_data_size`); outputs asked for with `binary_data` (or the request's
 * `binary_data_output`) come back the same way. Served by a real server on a real float16 ONNX
 * model (test/fixtures-gen/onnx-fp16.py): FP16 in and out as raw halves, equal to the JSON answer.
 * Malformed bodies are 400s in V2's {"error"} shape.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { float16Bits, float16Value } from '../../src/model/float16.js';
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, MLFLOW_REAL, REPO, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';

const fixture = join(REPO, 'test/.generated/onnx/onnx_fp16');
const have = existsSync(join(fixture, 'expected.json'));
if (!have) console.warn(`${fixture} not generated (npm run fixtures): the V2 binary tensor tests skip`);

interface Expected { input: number[][]; half: number[][]; single: number[][]; half_bits: number[][] }

/** A binary request as tritonclient.http builds it: the JSON header, then the inputs' bytes in order. */
function binaryRequest(header: unknown, ...tensors: Buffer[]): { body: Buffer; headers: Record<string, string> } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return {
    body: Buffer.concat([json, ...tensors]),
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(json.length) },
  };
}

function halves(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => out.writeUInt16LE(float16Bits(v), i * 2));
  return out;
}

/** A binary response split into its JSON header and the outputs' bytes by name. */
async function readBinaryResponse(res: Response): Promise<{ header: { outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size: number } }[] }; bytes: Record<string, Buffer> }> {
  const length = Number(res.headers.get('inference-header-content-length'));
  const body = Buffer.from(await res.arrayBuffer());
  const header = parseJsonLenient(body.toString('utf8', 0, length)) as Awaited<ReturnType<typeof readBinaryResponse>>['header'];
  const bytes: Record<string, Buffer> = {};
  let at = length;
  for (const o of header.outputs) {
    if (o.parameters?.binary_data_size === undefined) continue;
    bytes[o.name] = body.subarray(at, at + o.parameters.binary_data_size);
    at += o.parameters.binary_data_size;
  }
  expect(at, 'the outputs\' binary_data_size add up to the bytes after the header').toBe(body.length);
  return { header, bytes };
}

describe.skipIf(!have)('V2 binary tensor data on a float16 ONNX model', () => {
  let server: RunningServer;
  let expected: Expected;
  let url: string;
  let inputText: string; // the input as Python wrote it: JSON.stringify would lose its -0.0
  beforeAll(async () => {
    server = await startFlowgate(fixture);
    const text = readFileSync(join(fixture, 'expected.json'), 'utf8');
    expected = parseJsonLenient(text) as Expected;
    inputText = /"input": (\[\[.*?\]\])/.exec(text)![1]!;
    url = `${server.url}/v2/models/onnx_fp16/infer`;
  });
  afterAll(() => server?.close());

  const post = (body: Buffer | string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers, body });
  const flatInput = () => expected.input.flat();

  test('the server metadata lists the extension', async () => {
    const meta = (await (await fetch(`${server.url}/v2`)).json()) as { extensions: string[] };
    expect(meta.extensions).toContain('binary_tensor_data');
  });

  test('FP16 binary input, binary FP16 and FP32 outputs: numpy\'s halves, bit for bit', async () => {
    const { body, headers } = binaryRequest(
      { inputs: [{ name: 'x', datatype: 'FP16', shape: [3, 3], parameters: { binary_data_size: 18 } }], parameters: { binary_data_output: true } },
      halves(flatInput()),
    );
    const res = await post(body, headers);
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const { header, bytes } = await readBinaryResponse(res);
    expect(header.outputs.map((o) => [o.name, o.datatype, o.shape, o.data])).toEqual([['half', 'FP16', [3, 3], undefined], ['single', 'FP32', [3, 3], undefined]]);
    const halfBits = Array.from({ length: 9 }, (_, i) => bytes.half!.readUInt16LE(i * 2));
    expect(halfBits).toEqual(expected.half_bits.flat());
    const single = Array.from({ length: 9 }, (_, i) => bytes.single!.readFloatLE(i * 4));
    expect(single).toEqual(expected.single.flat());
  });

  test('binary input, JSON outputs: the same answer as an all-JSON request', async () => {
    const { body, headers } = binaryRequest({ inputs: [{ name: 'x', datatype: 'FP16', shape: [3, 3], parameters: { binary_data_size: 18 } }] }, halves(flatInput()));
    const binary = await post(body, headers);
    expect(binary.headers.get('inference-header-content-length')).toBeNull();
    const json = await post(`{"inputs": [{"name": "x", "datatype": "FP16", "shape": [3, 3], "data": ${inputText}}]}`, { 'Content-Type': 'application/json' });
    expect([binary.status, json.status]).toEqual([200, 200]);
    const fromBinary = await binary.text();
    expect(fromBinary).toBe(await json.text());
    const outputs = (parseJsonLenient(fromBinary) as { outputs: { name: string; data: number[] }[] }).outputs;
    expect(outputs.find((o) => o.name === 'half')!.data).toEqual(expected.half.flat());
  });

  test('per-output binary_data: only the asked output is binary, in the order asked', async () => {
    const { body, headers } = binaryRequest(
      { inputs: [{ name: 'x', datatype: 'FP16', shape: [3, 3], parameters: { binary_data_size: 18 } }], outputs: [{ name: 'single', parameters: { binary_data: true } }, { name: 'half' }] },
      halves(flatInput()),
    );
    const res = await post(body, headers);
    expect(res.status).toBe(200);
    const { header, bytes } = await readBinaryResponse(res);
    expect(header.outputs.map((o) => o.name)).toEqual(['single', 'half']);
    expect(Object.keys(bytes)).toEqual(['single']);
    expect(header.outputs[1]!.data).toEqual(expected.half.flat());
    expect(Array.from({ length: 9 }, (_, i) => float16Value(float16Bits(bytes.single!.readFloatLE(i * 4))))).toEqual(expected.half.flat());
  });

  test('a JSON request may ask for binary outputs (no header of its own)', async () => {
    const res = await post(`{"inputs": [{"name": "x", "datatype": "FP16", "shape": [3, 3], "data": ${inputText}}], "outputs": [{"name": "half", "parameters": {"binary_data": true}}]}`, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    const { bytes } = await readBinaryResponse(res);
    expect(Array.from({ length: 9 }, (_, i) => bytes.half!.readUInt16LE(i * 2))).toEqual(expected.half_bits.flat());
  });

  const header = (size: number, shape = [3, 3], datatype = 'FP16') => ({ inputs: [{ name: 'x', datatype, shape, parameters: { binary_data_size: size } }] });
  test.each([
    ['a header length past the body', () => { const r = binaryRequest(header(18), halves(flatInput())); r.headers['Inference-Header-Content-Length'] = String(r.body.length + 1); return r; }, /Inference-Header-Content-Length must be the byte length of the JSON header/],
    ['a header length that is not a number', () => { const r = binaryRequest(header(18), halves(flatInput())); r.headers['Inference-Header-Content-Length'] = 'ten'; return r; }, /Inference-Header-Content-Length must be/],
    ['a header length cutting the JSON', () => { const r = binaryRequest(header(18), halves(flatInput())); r.headers['Inference-Header-Content-Length'] = '20'; return r; }, /The JSON header is not valid JSON/],
    ['binary_data_size not shape × dtype', () => binaryRequest(header(16), halves(flatInput()).subarray(0, 16)), /9 FP16 elements take 18 bytes, but binary_data_size is 16/],
    ['binary_data_size past the body', () => binaryRequest(header(36), halves(flatInput())), /binary_data_size 36 runs past the end of the body/],
    ['bytes left over after the inputs', () => binaryRequest(header(18), halves(flatInput()), Buffer.alloc(4)), /add up to 18 bytes, but 22 bytes follow the JSON header/],
    ['both data and binary_data_size', () => binaryRequest({ inputs: [{ name: 'x', datatype: 'FP16', shape: [3, 3], data: flatInput(), parameters: { binary_data_size: 18 } }] }, halves(flatInput())), /give either "data" or a binary_data_size, not both/],
  ] as const)('%s is a 400 {"error"}', async (_name, make, message) => {
    const { body, headers } = make();
    const res = await post(body, headers);
    const json = (await res.json()) as { error: string };
    expect([res.status, Object.keys(json)]).toEqual([400, ['error']]);
    expect(json.error).toMatch(message);
  });

  test('binary elements count against --max-elements, like JSON values', async () => {
    const limited = await startFlowgate(fixture, { maxElements: '8' });
    try {
      const { body, headers } = binaryRequest(header(18), halves(flatInput()));
      const res = await fetch(`${limited.url}/v2/models/onnx_fp16/infer`, { method: 'POST', headers, body });
      expect([res.status, await res.json()]).toEqual([400, { error: 'The request has more than the limit of 8 values.' }]);
    } finally {
      await limited.close();
    }
  });

  test('a malformed request leaves the server serving', async () => {
    const { body, headers } = binaryRequest(header(18), halves(flatInput()));
    expect((await post(body, headers)).status).toBe(200);
  });
});

const RF = join(MLFLOW_REAL, 'models', 'sk_iris_rf');
const COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];

describe.skipIf(!HAVE_SHARED)('V2 binary tensor data through a replica thread (-w 1, MLflow\'s RandomForest)', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
  let server: RunningServer;
  beforeAll(async () => {
    server = await startFlowgate(RF, { workers: '1' });
  });
  afterAll(() => server?.close());

  const column = (j: number, rows: number) => Array.from({ length: rows }, (_, i) => [4.5 + (i % 35) / 10, 2 + (i % 20) / 10, 1 + (i % 59) / 10, 0.1 + (i % 24) / 10][j]!);
  const fp64 = (values: number[]) => {
    const out = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => out.writeDoubleLE(v, i * 8));
    return out;
  };

  test('four binary FP64 columns of 1000 rows (32 kB: scored on the replica) answer as the same rows in JSON', async () => {
    const rows = 1000;
    const { body, headers } = binaryRequest(
      { inputs: COLUMNS.map((name) => ({ name, datatype: 'FP64', shape: [rows], parameters: { binary_data_size: rows * 8 } })), parameters: { binary_data_output: true } },
      ...COLUMNS.map((_, j) => fp64(column(j, rows))),
    );
    expect(body.length).toBeGreaterThan(16 * 1024); // past the inline limit: a replica thread decodes it
    const res = await fetch(`${server.url}/v2/models/sk_iris_rf/infer`, { method: 'POST', headers, body });
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    const { header, bytes } = await readBinaryResponse(res);
    expect(header.outputs.map((o) => [o.datatype, o.shape])).toEqual([['BYTES', [rows]]]);
    // BYTES elements: a 4-byte little-endian length, then the UTF-8 bytes.
    const labels: string[] = [];
    const raw = bytes[header.outputs[0]!.name]!;
    for (let at = 0; at < raw.length; at += 4 + raw.readUInt32LE(at)) labels.push(raw.toString('utf8', at + 4, at + 4 + raw.readUInt32LE(at)));
    expect(labels).toHaveLength(rows);
    // A small JSON request (scored inline) gives the same labels for its rows.
    const small = 50;
    const json = await fetch(`${server.url}/v2/models/sk_iris_rf/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: COLUMNS.map((name, j) => ({ name, datatype: 'FP64', shape: [small], data: column(j, small) })) }),
    });
    const inline = (await json.json()) as { outputs: { data: number[] }[] };
    expect(labels.slice(0, small)).toEqual(inline.outputs[0]!.data);
    expect(new Set(labels).size).toBeGreaterThan(1);
  }, 60_000);

  test('the body limits read the JSON header only: tensor bytes that are brackets and commas in ASCII are no JSON', async () => {
    const rows = 1000; // 32 kB of '[' and ',' bytes: past any --max-json-depth if they were scanned as JSON
    const brackets = Buffer.alloc(rows * 8, '[,');
    const { body, headers } = binaryRequest(
      { inputs: COLUMNS.map((name) => ({ name, datatype: 'FP64', shape: [rows], parameters: { binary_data_size: rows * 8 } })) },
      ...COLUMNS.map((_, j) => (j === 0 ? brackets : fp64(column(j, rows)))),
    );
    expect(brackets.readDoubleLE(0)).toBeGreaterThan(0); // a finite FP64 value
    const res = await fetch(`${server.url}/v2/models/sk_iris_rf/infer`, { method: 'POST', headers, body });
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    const answer = (await res.json()) as { outputs: { shape: number[] }[] };
    expect(answer.outputs[0]!.shape).toEqual([rows]);
  }, 60_000);

  test('a malformed binary body on the replica path is the same 400 {"error"}', async () => {
    const rows = 1000;
    const { body, headers } = binaryRequest(
      { inputs: COLUMNS.map((name) => ({ name, datatype: 'FP64', shape: [rows], parameters: { binary_data_size: rows * 8 } })) },
      ...COLUMNS.map((_, j) => fp64(column(j, rows)).subarray(0, j === 3 ? rows * 8 - 8 : rows * 8)),
    );
    const res = await fetch(`${server.url}/v2/models/sk_iris_rf/infer`, { method: 'POST', headers, body });
    const json = (await res.json()) as { error: string };
    expect([res.status, Object.keys(json)]).toEqual([400, ['error']]);
    expect(json.error).toMatch(/runs past the end of the body/);
  }, 60_000);
});
