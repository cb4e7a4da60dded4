/**
 * flowgate's XGBoost evaluation against XGBoost 1.7.4 itself: every case of
 * test/fixtures-gen/trees.py (objectives, NaNs, categorical splits, parallel trees, DART,
 * scikit-learn wrappers) in every format it was saved in, on 600 rows, to 1e-6 relative.
 */
import { describe, expect, it } from 'vitest';
import { xgboostFlavor } from '../../../flavors/xgboost/index.js';
import { caseNames, haveGenerated, loadCase, logger, matrixFrame, mismatches, mlmodel, tensorOf, type Case } from '../trees/helpers.js';

const HAVE = haveGenerated('xgboost');

async function load(c: Case, format: string, predictFn?: string) {
  const flavors = {
    xgboost: { data: `model.${format}`, model_class: c.meta.model_class, model_format: format },
    python_function: { loader_module: 'mlflow.xgboost', ...(predictFn ? { predict_fn: predictFn } : {}) },
  };
  return xgboostFlavor.load(c.dir, mlmodel(flavors), { logger });
}

function frameOf(c: Case, X = c.X) {
  const names = c.meta.feature_names ?? Array.from({ length: c.meta.cols }, (_, j) => `f${j}`);
  return matrixFrame(X, c.meta.rows, names);
}

describe.skipIf(!HAVE)('xgboost: predictions equal XGBoost 1.7.4', () => {
  const cases = caseNames('xgboost').map((n) => loadCase('xgboost', n));
  const runs = cases.flatMap((c) => c.meta.formats.map((format) => [c.name, format, c] as const));

  it.each(runs)('%s (%s)', async (_name, format, c) => {
    const model = await load(c, format);
    const input = frameOf(c);
    const out = tensorOf(await model.predict(input, {}));
    const expected = c.output('predict');
    expect(out.shape).toEqual(c.meta.outputs.predict!.shape);
    expect(mismatches(out.values, expected)).toBe('');

    if (c.meta.model_class === 'xgboost.core.Booster') expect(out.dtype).toBe('float32');
    if (c.XDense !== null) {
      // No NaN in the batch: the fast numeric kernel.
      const dense = tensorOf(await model.predict(frameOf(c, c.XDense), {}));
      expect(mismatches(dense.values, c.output('predict_dense'))).toBe('');
    }
    if (c.meta.outputs.margin !== undefined) {
      const margin = tensorOf(await model.predict(input, { output_margin: true }));
      expect(mismatches(margin.values, c.output('margin'))).toBe('');
      const range = tensorOf(await model.predict(input, { iteration_range: c.meta.iteration_range }));
      expect(mismatches(range.values, c.output('range'))).toBe('');
    }
    if (c.meta.model_class === 'xgboost.sklearn.XGBClassifier') {
      expect(out.dtype).toBe('int64');
      const proba = tensorOf(await (await load(c, format, 'predict_proba')).predict(input, {}));
      expect(proba.shape).toEqual(c.meta.outputs.predict_proba!.shape);
      expect(mismatches(proba.values, c.output('predict_proba'))).toBe('');
    }
    await model.dispose();
  });

  it('the scikit-learn wrapper uses best_iteration; a Booster of the same file uses every tree', async () => {
    const c = loadCase('xgboost', 'sk_classifier_multi');
    const booster = tensorOf(await (await xgboostFlavor.load(c.dir, mlmodel({ xgboost: { data: 'model.json' } }), { logger })).predict(frameOf(c), {}));
    expect(mismatches(booster.values, c.output('booster_predict'))).toBe('');
    // and those differ from the early-stopped probabilities
    const proba = c.output('predict_proba');
    expect(mismatches(booster.values, proba)).not.toBe('');
  });
});
