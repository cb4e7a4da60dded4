/**
 * MLflow's pyfunc semantics per input kind on the real-MLflow TensorFlow/Keras fixtures,
 * what loading does to the process, and the error a SavedModel gives without tfjs-node.
 */
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { kerasFlavor, tensorflowFlavor } from '../../../flavors/tensorflow/index.js';
import { tf } from '../../../flavors/tensorflow/tfjs.js';
import { FlavorError, MlflowError } from '../../../src/errors.js';
import { frame, type Frame, type ModelInput } from '../../../src/model/data.js';
import type { Flavor, LoadedModel } from '../../../src/model/flavor.js';
import { readMLmodel } from '../../../src/model/mlmodel.js';
import { HAVE_SHARED, MLFLOW_REAL_TF } from '../../helpers/fixtures.js';
import { expected, HAVE_TFJS_NODE } from './helpers.js';

const logger = pino({ level: 'silent' });

async function load(flavor: Flavor, name: string): Promise<LoadedModel> {
  const dir = join(MLFLOW_REAL_TF, 'models', name);
  return flavor.load(dir, await readMLmodel(dir), { logger });
}

function irisFrame(rows: number[][]): Frame {
  const names = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
  return frame(names, names.map((_, j) => ({ dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]!) })));
}

describe.skipIf(!HAVE_SHARED)('TensorFlow/Keras pyfunc semantics', () => {
  test('loading a Keras model leaves the process-wide error handlers as they were', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const model = await load(tensorflowFlavor, 'tf_keras_iris_mlp');
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
    await model.dispose();
  });

  test('a DataFrame gives DataFrame(model.predict(df.values)): columns 0..k-1, whatever the input names', async () => {
    const want = expected('keras3_iris_mlp');
    const model = await load(kerasFlavor, 'keras3_iris_mlp');
    const output = (await model.predict(irisFrame(want.extra_rows.value), {})) as Frame;
    expect(output.kind).toBe('frame');
    expect(output.names).toEqual(['0', '1', '2']);
    expect(output.rows).toBe(20);
    output.columns.forEach((c, j) => {
      expect(c.dtype).toBe('float32');
      c.values.forEach((v, i) => expect(Math.abs((v as number) - want.extra_rows_predictions[i]![j]!)).toBeLessThan(1e-5));
    });
    await model.dispose();
  });

  test('an ndarray gives an ndarray (float32 [n, k]); a one-entry dict is that ndarray', async () => {
    const want = expected('tf_keras_diabetes_regressor');
    const model = await load(tensorflowFlavor, 'tf_keras_diabetes_regressor');
    const values = Float64Array.from(want.extra_rows.value.flat());
    const tensor = { dtype: 'float32' as const, shape: [20, 10], values };
    for (const input of [{ kind: 'tensor', tensor }, { kind: 'tensors', tensors: { x: tensor } }] as ModelInput[]) {
      const output = await model.predict(input, {});
      expect(output.kind).toBe('tensor');
      const t = (output as { tensor: { dtype: string; shape: number[]; values: Float64Array } }).tensor;
      expect([t.dtype, t.shape]).toEqual(['float32', [20, 1]]);
      t.values.forEach((v, i) => expect(Math.abs(v - want.extra_rows_predictions[i]![0]!) / Math.abs(v)).toBeLessThan(1e-5));
    }
    await model.dispose();
  });

  test('a string column is refused as numpy refuses to make floats of it', async () => {
    const model = await load(kerasFlavor, 'keras3_iris_mlp');
    const input = frame(['a', 'b', 'c', 'd'], [
      { dtype: 'float64', values: Float64Array.of(1) }, { dtype: 'float64', values: Float64Array.of(1) },
      { dtype: 'float64', values: Float64Array.of(1) }, { dtype: 'string', values: ['setosa'] },
    ]);
    await expect(model.predict(input, {})).rejects.toThrow(/column d \(string\) cannot be converted to a float tensor/);
    await model.dispose();
  });

  test.skipIf(!HAVE_TFJS_NODE)('a Keras model loaded before a SavedModel keeps answering the same once tfjs-node takes over', async () => {
    const want = expected('tf_keras_iris_mlp');
    const input: ModelInput = { kind: 'tensor', tensor: { dtype: 'float32', shape: [20, 4], values: Float64Array.from(want.extra_rows.value.flat()) } };
    const keras = await load(tensorflowFlavor, 'tf_keras_iris_mlp');
    expect(tf.getBackend()).toBe('wasm');
    const before = (await keras.predict(input, {})) as { tensor: { values: Float64Array } };
    const savedModel = await load(kerasFlavor, 'keras3_iris_mlp_exported');
    expect(tf.getBackend()).toBe('tensorflow');
    const after = (await keras.predict(input, {})) as { tensor: { values: Float64Array } };
    after.tensor.values.forEach((v, i) => expect(Math.abs(v - before.tensor.values[i]!)).toBeLessThan(1e-6));
    await Promise.all([keras.dispose(), savedModel.dispose()]);
  });

  test.skipIf(!HAVE_TFJS_NODE)('a tf.Module takes only an ndarray, as MLflow (500 INTERNAL_ERROR otherwise)', async () => {
    const want = expected('tf_module_iris_linear');
    const model = await load(tensorflowFlavor, 'tf_module_iris_linear');
    const error = await model.predict(irisFrame(want.extra_rows.value), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect([(error as MlflowError).errorCode, (error as MlflowError).status]).toEqual(['INTERNAL_ERROR', 500]);
    expect((error as MlflowError).message).toContain('the input data must be numpy array or a list');
    await model.dispose();
  });

  test.skipIf(HAVE_TFJS_NODE)('without tfjs-node a SavedModel fails at load, saying what is missing and what would work', async () => {
    const error = await load(kerasFlavor, 'keras3_iris_mlp_exported').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlavorError);
    const message = (error as FlavorError).message;
    expect(message).toMatch(/^flavor keras: data\/model is a TensorFlow SavedModel, which needs the optional package @tensorflow\/tfjs-node/);
    expect(message).toMatch(/its native addon is not built|it is not installed/);
    expect(message).toContain('bash scripts/build-tfjs-node.sh');
    expect(message).toContain('.keras');
  });
});
