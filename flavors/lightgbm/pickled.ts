/**
 * LightGBM's scikit-learn estimators as MLflow pickles them (`model.pkl`), read with the safe
 * unpickler: only data comes out, never code. What predict needs is small: the Booster's model
 * string (`_Booster._handle`, which Booster.__getstate__ swaps for `model_to_string()`), its
 * `best_iteration`, and a classifier's classes (`_le.classes_`).
 * The sklearn flavor reuses `estimatorFromObject` for LGBM estimators inside pipelines.
 */
import { asObject, attributes, NDArray, PyObject, unpickle, type PyValue } from '../../src/pickle/index.js';
import type { LgbApi, LgbEstimator, PredictMethod } from './model.js';
import { parseLightgbmModel, type LgbBooster } from './text-model.js';

const ESTIMATORS: Record<string, LgbApi> = {
  'lightgbm.sklearn.LGBMClassifier': 'classifier',
  'lightgbm.sklearn.LGBMRegressor': 'regressor',
  'lightgbm.sklearn.LGBMRanker': 'regressor',
  'lightgbm.sklearn.LGBMModel': 'regressor',
};

/** Classes a LightGBM estimator pickle may instantiate (as plain data). */
export const LGBM_PICKLE_CLASSES: ReadonlySet<string> = new Set([
  ...Object.keys(ESTIMATORS),
  'lightgbm.basic.Booster',
  'sklearn.preprocessing._label.LabelEncoder',
  'lightgbm.compat._LGBMLabelEncoder',
]);

export function estimatorFromPickle(
  bytes: Uint8Array,
  modelClass: string,
  method: PredictMethod,
): { booster: LgbBooster; estimator: LgbEstimator } {
  if (ESTIMATORS[modelClass] === undefined) {
    throw new Error(`model_class ${modelClass} is not supported (supported: lightgbm.basic.Booster, ${Object.keys(ESTIMATORS).join(', ')})`);
  }
  const root = unpickle(bytes, { allowClass: (name) => LGBM_PICKLE_CLASSES.has(name) });
  return estimatorFromObject(asObject(root, 'the pickled model'), method);
}

/** A fitted LGBM estimator (unpickled) → its compiled booster and pyfunc semantics. */
export function estimatorFromObject(obj: PyObject, method: PredictMethod = 'predict'): { booster: LgbBooster; estimator: LgbEstimator } {
  const api = ESTIMATORS[obj.className];
  if (api === undefined) throw new Error(`${obj.className} is not a LightGBM scikit-learn estimator`);
  const fitted = attributes(obj);
  const boosterState = attributes(fitted.object('_Booster'));
  const booster = parseLightgbmModel(boosterState.string('_handle'));
  const best = boosterState.raw('best_iteration');
  return {
    booster,
    estimator: {
      api,
      classes: api === 'classifier' ? classesOf(obj) : null,
      numIteration: typeof best === 'number' && best > 0 ? best : null,
      method: api === 'classifier' ? method : 'predict',
    },
  };
}

/** `_le.classes_` (what predict maps indices through), else `_classes`. */
function classesOf(obj: PyObject): (number | string | boolean)[] {
  const fitted = attributes(obj);
  const encoder = fitted.raw('_le');
  const source: PyValue | undefined = encoder instanceof PyObject ? attributes(encoder).raw('classes_') : fitted.raw('_classes');
  if (!(source instanceof NDArray)) throw new Error(`${obj.name} has no fitted classes`);
  return source.items().map((c) => {
    if (typeof c === 'number' || typeof c === 'string' || typeof c === 'boolean') return c;
    if (typeof c === 'bigint') return Number(c);
    throw new Error(`${obj.name} has a class label of an unsupported type`);
  });
}
