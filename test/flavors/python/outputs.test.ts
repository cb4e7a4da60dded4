/**
 * What a Python model returns reaches the client as MLflow's scoring server writes it
 * (`predictions_to_json`: DataFrames as records, ndarrays as nested lists, dicts and lists
 * through json.dumps): strings, booleans, integers, NaN and missing values in and out of
 * the worker, and a model without a params schema gets params=None. A custom flavor on
 * plain Python (numpy + pandas), so CI runs it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import { startFlowgate } from '../../helpers/server.js';
import { NO_PLAIN_PYTHON, PLAIN_PYTHON, tempDir } from './helpers.js';

const SHAPES = `
import numpy as np
import pandas as pd


class Shapes:
    def predict(self, model_input, params=None):
        kind = model_input["kind"].iloc[0]
        if kind == "echo":
            return model_input.drop(columns=["kind"])
        if kind == "dict":
            return {"a": np.array([1.0, 2.0]), "b": np.array(["x", "y"])}
        if kind == "records":
            return [{"k": 1, "v": 2.5, "s": None}]
        if kind == "scalar":
            return 3.5
        if kind == "params":
            return ["none" if params is None else "given"]
        if kind == "matrix":
            return np.arange(6, dtype=np.int32).reshape(2, 3)
        raise ValueError(kind)


def _load_pyfunc(path):
    return Shapes()
`;

const MLMODEL = `flavors:
  python_function:
    code: code
    loader_module: shapes_flavor
signature:
  inputs: '[{"type": "string", "name": "kind", "required": true}, {"type": "string", "name": "s", "required": false},
    {"type": "boolean", "name": "b", "required": false}, {"type": "long", "name": "n", "required": false},
    {"type": "double", "name": "f", "required": false}]'
  outputs: null
`;

if (PLAIN_PYTHON === null) console.warn(NO_PLAIN_PYTHON);

describe.skipIf(PLAIN_PYTHON === null)('Python model outputs, as MLflow serialises them', () => {
  const root = tempDir('flowgate-shapes-');
  let server: RunningServer;
  beforeAll(async () => {
    const model = join(root, 'shapes');
    mkdirSync(join(model, 'code'), { recursive: true });
    writeFileSync(join(model, 'MLmodel'), MLMODEL);
    writeFileSync(join(model, 'code', 'shapes_flavor.py'), SHAPES);
    server = await startFlowgate(model, { python: PLAIN_PYTHON! });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function predict(kind: string, extra: Record<string, unknown[]> = {}): Promise<string> {
    const columns = ['kind', ...Object.keys(extra)];
    const rows = Object.values(extra)[0]?.length ?? 1;
    const data = Array.from({ length: rows }, (_, i) => [kind, ...Object.values(extra).map((v) => v[i])]);
    const res = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns, data } }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return text;
  }

  test('a DataFrame of strings, booleans, integers and doubles, with missing values, as records', async () => {
    const body = await predict('echo', { s: ['a', null], b: [true, false], n: [1, 2], f: [0.5, null] });
    expect(body).toBe('{"predictions": [{"s": "a", "b": true, "n": 1, "f": 0.5}, {"s": null, "b": false, "n": 2, "f": NaN}]}');
  });

  test('a dict of ndarrays, a list of records, a scalar, an int32 matrix', async () => {
    expect(await predict('dict')).toBe('{"predictions": {"a": [1.0, 2.0], "b": ["x", "y"]}}');
    expect(await predict('records')).toBe('{"predictions": [{"k": 1, "v": 2.5, "s": null}]}');
    expect(await predict('scalar')).toBe('{"predictions": 3.5}');
    expect(await predict('matrix')).toBe('{"predictions": [[0, 1, 2], [3, 4, 5]]}');
  });

  test('20,000 rows cross the pipes in many chunks both ways, every value intact', async () => {
    const n = 20_000;
    const ints = Array.from({ length: n }, (_, i) => i * 7919);
    const doubles = Array.from({ length: n }, (_, i) => i / 3);
    const body = JSON.parse(await predict('echo', { n: ints, f: doubles })) as { predictions: { n: number; f: number }[] };
    expect(body.predictions).toHaveLength(n);
    expect(body.predictions.map((r) => r.n)).toEqual(ints);
    expect(body.predictions.map((r) => r.f)).toEqual(doubles);
  }, 60_000);

  test('a model without a params schema gets params=None, as in MLflow', async () => {
    expect(await predict('params')).toBe('{"predictions": ["none"]}');
  });
});
