/**
 * LightGBM's scikit-learn estimators as MLflow pickles them (`model.pkl`), read with the safe
 * unpickler: only data comes out, never code. What predict needs is small: the Booster's model
 * string, its `best_iteration` and `pandas_categorical`, and a classifier's classes
 * (`_le.classes_`, else `_classes`).
 *
 * Booster.__getstate__ is `__dict__` minus train_set/valid_sets, with the C handle swapped for
 * the model string: under `handle` in LightGBM 2.0–3.3 (2.0/2.1 from `_save_model_to_string`,
 * without the pandas_categorical line; the attribute is in the state), under `_handle` since 4.0
 * (4.x __setstate__ reads either). best_iteration (<= 0: all iterations) is read the same way
 * by every version's predict.
 * The sklearn flavor reuses `estimatorFromObject` for LGBM estimators inside pipelines.
 */
import { asObject, asSequence, attributes, NDArray, PyObject, unpickle, type PyValue } from '../../src/pickle/index.js';
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
  const key = boosterState.has('_handle') ? '_handle' : 'handle';
  if (!boosterState.has(key)) throw new Error(`${obj.name}._Booster holds no model (neither _handle, LightGBM 4, nor handle, LightGBM 2–3)`);
  const parsed = parseLightgbmModel(boosterState.string(key));
  const best = boosterState.raw('best_iteration');
  const categories = boosterState.raw('pandas_categorical');
  const booster: LgbBooster = categories === undefined ? parsed : { ...parsed, pandasCategorical: pandasCategoricalOf(categories) };
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

/** The Booster's `pandas_categorical` attribute (what its predict compares a DataFrame with). */
function pandasCategoricalOf(v: PyValue): LgbBooster['pandasCategorical'] {
  if (v === null) return null;
  return asSequence(v, 'Booster.pandas_categorical').map((c) => [...asSequence(c, 'a pandas_categorical entry')]);
}
