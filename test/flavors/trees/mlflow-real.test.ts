/**
 * Every xgb_* / lgb_* model real MLflow 2.17.2 saved (../shared/fixtures/mlflow-real and
 * mlflow-real-tf), loaded through the flavor registry from its MLmodel, answers the two
 * recorded /invocations requests with the recorded predictions (1e-6), with the output
 * kind, dtype and shape MLflow's pyfunc returned (expected/<name>.json); classifiers'
 * predict_proba matches too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flavorFor } from '../../../flavors/index.js';
import { readMLmodel, servingFlavorName } from '../../../src/model/mlmodel.js';
import { HAVE_SHARED, invocationExchanges, MLFLOW_REAL, MLFLOW_REAL_TF, modelNames } from '../../helpers/fixtures.js';
import { logger, mismatches, splitFrame, tensorOf } from './helpers.js';

interface Expected {
  extra_rows: { value: { columns: string[]; data: unknown[][] } };
  extra_rows_predictions: unknown[];
  extra_rows_predictions_pyfunc_type: { type: string; shape: number[]; dtype: string };
  predict_proba?: { extra_rows: { values: number[][] } };
}

const models = [
  ...modelNames(MLFLOW_REAL, 'xgb_').map((n) => [n, MLFLOW_REAL] as const),
  ...modelNames(MLFLOW_REAL, 'lgb_').map((n) => [n, MLFLOW_REAL] as const),
  ...(existsSync(MLFLOW_REAL_TF) ? modelNames(MLFLOW_REAL_TF, 'lgb').map((n) => [n, MLFLOW_REAL_TF] as const) : []),
];

async function loadModel(dir: string, predictFn?: string) {
  const mlmodel = await readMLmodel(dir);
  if (predictFn !== undefined) mlmodel.flavors.python_function = { ...mlmodel.flavors.python_function, predict_fn: predictFn };
  return (await flavorFor(servingFlavorName(mlmodel))).load(dir, mlmodel, { logger });
}

const flat = (v: unknown[]): number[] => v.flat(2) as number[];

describe.skipIf(!HAVE_SHARED)('tree models saved by real MLflow answer as `mlflow models serve` did', () => {
  it('finds the fixtures', () => expect(models.length).toBeGreaterThanOrEqual(8));

  it.each(models)('%s', async (name, root) => {
    const dir = join(root, 'models', name);
    const model = await loadModel(dir);
    const expected = JSON.parse(readFileSync(join(root, 'expected', `${name}.json`), 'utf8')) as Expected;
    for (const exchange of invocationExchanges(root, name)) {
      const body = JSON.parse(exchange.request.body!) as { dataframe_split: { columns: string[]; data: unknown[][] } };
      const out = tensorOf(await model.predict(splitFrame(body.dataframe_split), {}));
      const recorded = (exchange.response.json as { predictions: unknown[] }).predictions;
      expect(exchange.response.status).toBe(200);
      expect(out.shape[0]).toBe(recorded.length);
      expect(mismatches(out.values, flat(recorded))).toBe('');
    }
    // dtype and shape as the pyfunc returned them (int64 labels serialise as `1`, floats as `1.0`).
    const type = expected.extra_rows_predictions_pyfunc_type;
    const out = tensorOf(await model.predict(splitFrame(expected.extra_rows.value), {}));
    expect(out.dtype).toBe(type.dtype);
    expect(out.shape).toEqual(type.shape);
    expect(mismatches(out.values, flat(expected.extra_rows_predictions))).toBe('');

    if (expected.predict_proba !== undefined) {
      const proba = tensorOf(await (await loadModel(dir, 'predict_proba')).predict(splitFrame(expected.extra_rows.value), {}));
      expect(mismatches(proba.values, flat(expected.predict_proba.extra_rows.values))).toBe('');
    }
  });
});
