/**
 * DataFrame columns holding a list per row (a flattened tensor per cell) for models with a
 * tensor signature: MLflow stacks the cells into the input tensor (vstack, reshape to the
 * spec, cast), so the same rows answer as the `inputs` form does. Expected answers are the
 * real MLflow responses recorded for the `inputs` form; the error cases carry MLflow 2.17.2's
 * own messages (checked against it running from source).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, invocationExchanges, MLFLOW_REAL, MLFLOW_REAL_TF, needsTfjsNode, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { expectClose, parsePythonJson } from '../helpers/replay.js';
import { startFlowgate } from '../helpers/server.js';
import { HAVE_TFJS_NODE } from '../flavors/tensorflow/helpers.js';

if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

interface Recorded {
  rows: unknown[];
  predictions: unknown;
}

/** The rows and MLflow's answer of a recorded `{"inputs": [...]}` exchange. */
function recorded(root: string, name: string, exchangeCase: string): Recorded {
  const exchange = invocationExchanges(root, name).find((e) => e.case === exchangeCase)!;
  const body = parsePythonJson(exchange.request.body!) as { inputs: unknown[] };
  expect(exchange.response.status).toBe(200);
  return { rows: body.inputs, predictions: (parsePythonJson(exchange.response.body) as { predictions: unknown }).predictions };
}

const flat = (row: unknown): unknown[] => (Array.isArray(row) ? row.flatMap(flat) : [row]);

async function invoke(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: parsePythonJson(await res.text()) as Record<string, unknown> };
}

async function predictions(url: string, body: unknown): Promise<unknown> {
  const { status, json } = await invoke(url, body);
  expect(status, JSON.stringify(json).slice(0, 400)).toBe(200);
  return json.predictions;
}

describe.skipIf(!HAVE_SHARED)('tensor-valued DataFrame cells are stacked into the tensor input', () => {
  describe('onnx_iris_softmax: named input (-1, 4)', () => {
    let server: RunningServer;
    let want: Recorded;
    beforeAll(async () => {
      server = await startFlowgate(join(MLFLOW_REAL, 'models', 'onnx_iris_softmax'));
      want = recorded(MLFLOW_REAL, 'onnx_iris_softmax', 'serving_input_example');
    });
    afterAll(() => server?.close());

    test('dataframe_split and dataframe_records with a list per row answer as `inputs`', async () => {
      const split = { dataframe_split: { columns: ['input'], data: want.rows.map((r) => [r]) } };
      expectClose(await predictions(server.url, split), want.predictions, 1e-6);
      const records = { dataframe_records: want.rows.map((r) => ({ input: r })) };
      expectClose(await predictions(server.url, records), want.predictions, 1e-6);
    });

    test('numeric strings in the cells are cast; a null becomes NaN (numpy astype), as MLflow answers', async () => {
      const strings = { dataframe_split: { columns: ['input'], data: [[(want.rows[0] as number[]).map(String)]] } };
      expectClose(await predictions(server.url, strings), { label: [0], probabilities: [(want.predictions as { probabilities: unknown[] }).probabilities[0]] }, 1e-6);
      const withNull = await predictions(server.url, { dataframe_split: { columns: ['input'], data: [[[5.1, null, 1.4, 0.2]]] } });
      expect((withNull as { probabilities: number[][] }).probabilities[0]!.every(Number.isNaN)).toBe(true);
    });

    test('cells that cannot be stacked into (-1, 4) are refused with MLflow\'s messages', async () => {
      const cases: [unknown, string][] = [
        [[[[1, 2, 3]], [[1, 2, 3, 4]]], "could not be converted to the expected shape of: '(-1, 4)'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type 'float32'"],
        [[[['a', 'b', 'c', 'd']]], "could not be converted to the expected shape of: '(-1, 4)'"],
        [[[[[5.1, 3.5], [1.4, 0.2]]]], 'Because the model signature requires tensor spec input, the input pandas dataframe values should be either scalar value, python list containing scalar values or numpy array containing scalar values, other types are not supported.'],
        [[[5.1], [3.0]], "The input pandas dataframe column 'input' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of (-1, 4)."],
      ];
      for (const [data, message] of cases) {
        const { status, json } = await invoke(server.url, { dataframe_split: { columns: ['input'], data } });
        expect(status).toBe(400);
        expect(json.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(json.message).toContain(message);
      }
    });

    test('V2: a BYTES input with a list per row is the same DataFrame column', async () => {
      const res = await fetch(`${server.url}/v2/models/onnx_iris_softmax/infer`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'BYTES', shape: [want.rows.length], data: want.rows }] }),
      });
      const body = (await res.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
      expect(res.status, JSON.stringify(body)).toBe(200);
      const byName = Object.fromEntries(body.outputs.map((o) => [o.name, o]));
      const expected = want.predictions as { label: number[]; probabilities: number[][] };
      expect(byName.label!.data).toEqual(expected.label);
      expect(byName.probabilities!.shape).toEqual([want.rows.length, 3]);
      expectClose(byName.probabilities!.data, expected.probabilities.flat(), 1e-6);
    });
  });

  test('onnx_torch_cnn: a flattened 28x28 image per cell is reshaped to (-1, 1, 28, 28)', async () => {
    const server = await startFlowgate(join(MLFLOW_REAL_TF, 'models', 'onnx_torch_cnn'));
    try {
      const want = recorded(MLFLOW_REAL_TF, 'onnx_torch_cnn', 'extra_rows');
      expect(want.rows.length).toBeGreaterThan(1);
      const split = { dataframe_split: { columns: ['input'], data: want.rows.map((r) => [flat(r)]) } };
      expectClose(await predictions(server.url, split), want.predictions, 1e-6);
    } finally {
      await server.close();
    }
  });

  test('keras3_iris_mlp: an unnamed (-1, 4) spec takes a single column of lists (Keras file on tfjs-layers)', async () => {
    const server = await startFlowgate(join(MLFLOW_REAL_TF, 'models', 'keras3_iris_mlp'));
    try {
      const want = recorded(MLFLOW_REAL_TF, 'keras3_iris_mlp', 'extra_rows');
      const split = { dataframe_split: { data: want.rows.map((r) => [r]) } };
      expectClose(await predictions(server.url, split), want.predictions, 1e-5);
    } finally {
      await server.close();
    }
  });

  test.skipIf(!HAVE_TFJS_NODE && HAVE_SHARED && needsTfjsNode(MLFLOW_REAL_TF, 'tf_keras_diabetes_regressor'))(
    'tf_keras_diabetes_regressor: named input x (-1, 10) from dataframe_records',
    async () => {
      const server = await startFlowgate(join(MLFLOW_REAL_TF, 'models', 'tf_keras_diabetes_regressor'));
      try {
        const want = recorded(MLFLOW_REAL_TF, 'tf_keras_diabetes_regressor', 'extra_rows');
        expectClose(await predictions(server.url, { dataframe_records: want.rows.map((r) => ({ x: r })) }), want.predictions, 1e-5);
      } finally {
        await server.close();
      }
    },
  );
});

describe.skipIf(!HAVE_SHARED)('CSV with a UTF-8 byte-order mark', () => {
  test('is read as pandas reads it (Excel\'s "CSV UTF-8"): the first column keeps its name', async () => {
    const server = await startFlowgate(join(MLFLOW_REAL, 'models', 'sk_iris_logreg'));
    try {
      const csv = 'sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n5.1,3.5,1.4,0.2\n6.3,2.5,4.9,1.5\n';
      const post = (body: Buffer) => fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body });
      const plain = await post(Buffer.from(csv, 'utf8'));
      const withBom = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]));
      const text = await withBom.text();
      expect(withBom.status, text).toBe(200);
      expect(text).toBe(await plain.text());
      expect(JSON.parse(text)).toEqual({ predictions: [0, 1] });
    } finally {
      await server.close();
    }
  });
});
