/**
 * V2 infer answers the same predictions as /invocations for the same model: every real-MLflow
 * fixture model's serving input example is sent both ways (its DataFrame columns or tensors
 * become V2 tensors typed by the model's V2 metadata) and the outputs compared exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, MLFLOW_REAL, MLFLOW_REAL_TF, modelNames, needsTfjsNode } from '../helpers/fixtures.js';
import { HAVE_TFJS_NODE } from '../flavors/tensorflow/helpers.js';
import { startFlowgate } from '../helpers/server.js';

interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

interface V2Input extends TensorMeta {
  data: unknown;
}

const models = HAVE_SHARED
  ? [MLFLOW_REAL, MLFLOW_REAL_TF].flatMap((root) =>
      modelNames(root, '')
        .filter((name) => HAVE_TFJS_NODE || !needsTfjsNode(root, name))
        .map((name) => ({ name, dir: join(root, 'models', name) }))
        .filter((m) => existsSync(join(m.dir, 'serving_input_example.json'))),
    )
  : [];

function dims(v: unknown): number[] {
  const out: number[] = [];
  while (Array.isArray(v)) {
    out.push(v.length);
    v = v[0];
  }
  return out;
}

/** The example as V2 inputs, typed by the model metadata; null for a shape this test does not translate. */
function v2Inputs(example: Record<string, unknown>, inputs: TensorMeta[]): V2Input[] | null {
  const split = example.dataframe_split as { columns?: string[]; data: unknown[][] } | undefined;
  if (split !== undefined) {
    const columns = split.columns ?? split.data[0]!.map((_, j) => String(j));
    const out: V2Input[] = [];
    for (const meta of inputs) {
      const j = columns.indexOf(meta.name);
      if (j < 0) return null;
      out.push({ name: meta.name, datatype: meta.datatype, shape: [split.data.length], data: split.data.map((row) => row[j]) });
    }
    return out;
  }
  const value = example.inputs;
  if (Array.isArray(value) && inputs.length === 1) return [{ ...inputs[0]!, shape: dims(value), data: value }];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const byName = new Map(inputs.map((m) => [m.name, m]));
    return Object.entries(value).map(([name, v]) => ({ name, datatype: byName.get(name)?.datatype ?? 'FP64', shape: dims(v), data: v }));
  }
  return null;
}

/** /invocations predictions as flat values per output name ('' for a single unnamed output). */
function flatOutputs(predictions: unknown): Map<string, unknown[]> {
  if (Array.isArray(predictions) && predictions.length > 0 && typeof predictions[0] === 'object' && predictions[0] !== null && !Array.isArray(predictions[0])) {
    const keys = Object.keys(predictions[0] as object);
    return new Map(keys.map((k) => [k, (predictions as Record<string, unknown>[]).map((r) => r[k])]));
  }
  if (typeof predictions === 'object' && predictions !== null && !Array.isArray(predictions)) {
    return new Map(Object.entries(predictions).map(([k, v]) => [k, [v].flat(Infinity)]));
  }
  return new Map([['', [predictions].flat(Infinity)]]);
}

describe.skipIf(!HAVE_SHARED)('V2 infer matches /invocations on every fixture model', () => {
  test('the fixtures cover several flavors', () => {
    expect(models.length).toBeGreaterThan(20);
  });

  describe.each(models)('$name', ({ name, dir }) => {
    let server: RunningServer | undefined;
    beforeAll(async () => {
      server = await startFlowgate(dir);
    });
    afterAll(() => server?.close());

    test('same predictions both ways', async () => {
      if (server === undefined) return;
      const url = server.url;
      const body = readFileSync(join(dir, 'serving_input_example.json'), 'utf8');
      const meta = (await (await fetch(`${url}/v2/models/${name}`)).json()) as { inputs: TensorMeta[]; outputs: TensorMeta[] };
      const inputs = v2Inputs(parseJsonLenient(body) as Record<string, unknown>, meta.inputs);
      expect(inputs, 'the example translates to V2').not.toBeNull();

      const mlflow = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const mlflowText = await mlflow.text();
      expect(mlflow.status, mlflowText.slice(0, 300)).toBe(200);
      // a missing value (NaN) travels as null, the only JSON form a JS client has
      const v2 = await fetch(`${url}/v2/models/${name}/infer`, { method: 'POST', body: JSON.stringify({ inputs }) });
      const v2Text = await v2.text();
      expect(v2.status, v2Text.slice(0, 300)).toBe(200);

      const expected = flatOutputs((parseJsonLenient(mlflowText) as { predictions: unknown }).predictions);
      const outputs = (parseJsonLenient(v2Text) as { outputs: { name: string; shape: number[]; data: unknown[] }[] }).outputs;
      if (expected.has('')) {
        expect(outputs).toHaveLength(1);
        expect(outputs[0]!.data).toEqual(expected.get(''));
      } else {
        expect(outputs.map((o) => o.name).sort()).toEqual([...expected.keys()].sort());
        for (const o of outputs) expect(o.data, o.name).toEqual(expected.get(o.name));
      }
      for (const o of outputs) expect(o.shape.reduce((a, b) => a * b, 1)).toBe(o.data.length);
    });
  });
});
