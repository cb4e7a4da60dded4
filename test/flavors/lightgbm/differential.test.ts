/**
 * flowgate's LightGBM evaluation against LightGBM 4.7 itself: every case of
 * test/fixtures-gen/trees.py (all objectives, NaN/Zero/None missing types, categorical bitsets
 * with unseen/negative/NaN categories, linear trees, rf, DART, one-leaf trees, num_iteration,
 * a pickled LGBMClassifier) on 600 rows, to 1e-6 relative.
 */
import { describe, expect, it } from 'vitest';
import { lightgbmFlavor, LightgbmModel } from '../../../flavors/lightgbm/index.js';
import { caseNames, haveGenerated, loadCase, logger, matrixFrame, mismatches, mlmodel, tensorOf, type Case } from '../trees/helpers.js';

const HAVE = haveGenerated('lightgbm');

function frameOf(c: Case, X = c.X) {
  return matrixFrame(X, c.meta.rows, c.meta.feature_names ?? []);
}

async function loadBooster(c: Case): Promise<LightgbmModel> {
  const model = await lightgbmFlavor.load(c.dir, mlmodel({ lightgbm: { data: 'model.lgb' }, python_function: {} }), { logger });
  return model as LightgbmModel;
}

describe.skipIf(!HAVE)('lightgbm: predictions equal LightGBM 4.7', () => {
  const cases = caseNames('lightgbm').map((n) => loadCase('lightgbm', n)).filter((c) => c.meta.model_class === 'lightgbm.basic.Booster');

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const model = await loadBooster(c);
    const input = frameOf(c);
    const out = tensorOf(await model.predict(input));
    expect(out.dtype).toBe('float64');
    expect(out.shape).toEqual(c.meta.outputs.predict!.shape);
    expect(mismatches(out.values, c.output('predict'))).toBe('');
    expect(mismatches(await model.scores(input, null, true), c.output('raw'))).toBe('');
    if (c.XDense !== null) {
      // No NaN in the batch: the fast numeric kernel (unless the model has special splits).
      const dense = tensorOf(await model.predict(frameOf(c, c.XDense)));
      expect(mismatches(dense.values, c.output('predict_dense'))).toBe('');
    }
    if (c.meta.outputs.iter_7 !== undefined) expect(mismatches(await model.scores(input, 7), c.output('iter_7'))).toBe('');
    await model.dispose();
  });

  it('a pickled LGBMClassifier: labels, predict_proba and best_iteration as LightGBM gives them', async () => {
    const c = loadCase('lightgbm', 'sk_classifier');
    const flavors = (predictFn?: string) =>
      mlmodel({
        lightgbm: { data: 'model.pkl', model_class: 'lightgbm.sklearn.LGBMClassifier' },
        python_function: predictFn ? { predict_fn: predictFn } : {},
      });
    const input = frameOf(c);
    const labels = tensorOf(await (await lightgbmFlavor.load(c.dir, flavors(), { logger })).predict(input, {}));
    expect(labels.dtype).toBe('string');
    expect(labels.values).toEqual(c.meta.predict_labels);
    const proba = tensorOf(await (await lightgbmFlavor.load(c.dir, flavors('predict_proba'), { logger })).predict(input, {}));
    expect(proba.shape).toEqual([c.meta.rows, 3]);
    expect(mismatches(proba.values, c.output('predict_proba'))).toBe('');
    // The pickled booster remembers best_iteration (early stopping); its trees equal model.lgb's.
    const pickled = (await lightgbmFlavor.load(c.dir, flavors(), { logger })) as LightgbmModel;
    expect(pickled.estimator.numIteration).toBe(c.meta.best_iteration);
    expect(mismatches(await pickled.scores(input), c.output('booster_predict'))).toBe('');
    expect(mismatches(tensorOf(await (await loadBooster(c)).predict(input)).values, c.output('booster_predict'))).toBe('');
  });
});
