/**
 * XGBClassifier / XGBRegressor (and the RF and ranker variants) pickled inside a scikit-learn
 * model. The pickled Booster carries XGBoost's memory snapshot (`Booster.__getstate__`:
 * UBJSON `{Config, Model}` in XGBoost >= 1.6, the model bytes before); the XGBoost flavor
 * compiles the `Model` document and predicts with XGBoost's sklearn-API semantics.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, NDArray, PyObject, asNumber } from '../../../src/pickle/index.js';
import { compileBooster, type XgbBooster } from '../../xgboost/booster.js';
import { partsFromDocument } from '../../xgboost/document.js';
import { XgboostModel } from '../../xgboost/model.js';
import { detectFormat, parseXgboostModel } from '../../xgboost/parse.js';
import { SKLEARN_API_BY_CLASS } from '../../xgboost/index.js';
import { sklearnMeta, type SklearnMeta } from '../../xgboost/sklearn-meta.js';
import { tableInput } from '../../trees/input.js';
import { decodeUbjson } from '../../xgboost/ubjson.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import type { Table } from '../table.js';

const API = SKLEARN_API_BY_CLASS;

/** The booster in `Booster.__getstate__()['handle']`. */
function boosterOf(handle: Uint8Array): XgbBooster {
  if (detectFormat(handle) !== 'ubj') return parseXgboostModel(handle);
  const snapshot = decodeUbjson(handle) as Record<string, unknown>;
  return compileBooster(partsFromDocument(snapshot.Model ?? snapshot));
}

function metaOf(obj: PyObject, booster: XgbBooster): SklearnMeta {
  const a = new Attributes(obj);
  const fromBooster = sklearnMeta(booster.attributes);
  const missing = a.raw('missing');
  const encoder = a.raw('_le');
  const classes = encoder instanceof PyObject ? encoder.get('classes_') : undefined;
  const labels = classes instanceof NDArray && classes.data instanceof Float64Array ? Array.from(classes.data) : null;
  return {
    ...fromBooster,
    missing: missing === undefined || missing === null ? NaN : asNumber(missing, `${obj.name}.missing`),
    labelEncoder: labels,
    labelDType: labels !== null && !labels.every(Number.isInteger) ? 'float64' : 'int64',
  };
}

function buildXgboost(obj: PyObject): Estimator {
  const api = API[obj.className]!;
  const handle = new Attributes(new Attributes(obj).object('_Booster')).required('handle');
  if (!(handle instanceof Uint8Array)) throw new TypeError(`${obj.name}._Booster has no model bytes`);
  const booster = boosterOf(handle);
  const meta = metaOf(obj, booster);
  const run = async (model: XgboostModel, X: Table): Promise<Tensor> => {
    const out = await model.predict(tableInput(X.rows, X.names, X.columns), {});
    if (out.kind !== 'tensor') throw new Error(`${obj.name} returned an unexpected output`);
    return out.tensor;
  };
  const predictModel = new XgboostModel(booster, api, meta, 'predict');
  const result: Estimator = { name: obj.name, predict: (X) => run(predictModel, X) };
  if (api !== 'classifier') return result;
  const probaModel = new XgboostModel(booster, api, meta, 'predict_proba');
  return { ...result, predictProba: (X) => run(probaModel, X) };
}

export const xgboostEstimators: EstimatorFamily = {
  classes: Object.keys(API),
  parts: ['xgboost.core.Booster', 'sklearn.preprocessing._label.LabelEncoder'],
  build: buildXgboost,
};
