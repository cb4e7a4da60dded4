/**
 * Large batches run on the worker pool (shared memory, the kernel's own source in each worker):
 * the same predictions as XGBoost / LightGBM gave for the rows, repeated 50 times, through both
 * kernels (NaN rows: general; dense rows: numeric).
 */
import { describe, expect, it } from 'vitest';
import { lightgbmFlavor } from '../../../flavors/lightgbm/index.js';
import { worthParallel } from '../../../flavors/trees/evaluate.js';
import { xgboostFlavor } from '../../../flavors/xgboost/index.js';
import type { XgboostModel } from '../../../flavors/xgboost/model.js';
import { haveGenerated, loadCase, logger, matrixFrame, mismatches, mlmodel, tensorOf } from './helpers.js';

const TIMES = 50;

function tile(values: Float64Array, times: number): Float64Array {
  const out = new Float64Array(values.length * times);
  for (let i = 0; i < times; i++) out.set(values, i * values.length);
  return out;
}

describe.skipIf(!haveGenerated('xgboost') || !haveGenerated('lightgbm'))('worker pool', () => {
  it.each([
    ['xgboost', 'multi_softprob'],
    ['lightgbm', 'multiclass'],
    ['lightgbm', 'categorical'],
  ] as const)('%s %s: a large batch on the pool equals the library', async (kind, name) => {
    const c = loadCase(kind, name);
    const model =
      kind === 'xgboost'
        ? await xgboostFlavor.load(c.dir, mlmodel({ xgboost: { data: 'model.json' } }), { logger })
        : await lightgbmFlavor.load(c.dir, mlmodel({ lightgbm: { data: 'model.lgb' } }), { logger });
    const rows = c.meta.rows * TIMES;
    if (kind === 'xgboost') expect(worthParallel((model as XgboostModel).booster.ensemble, rows)).toBe(true);
    const names = c.meta.feature_names!;
    for (const [X, output] of [[c.X, 'predict'], [c.XDense, 'predict_dense']] as const) {
      if (X === null) continue;
      const out = tensorOf(await model.predict(matrixFrame(tile(X, TIMES), rows, names), {}));
      expect(out.shape[0]).toBe(rows);
      expect(mismatches(out.values, tile(c.output(output), TIMES))).toBe('');
    }
    await model.dispose();
  });
});
