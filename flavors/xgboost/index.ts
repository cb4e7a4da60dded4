/**
 * The xgboost flavor (spec §4): `xgb_model` file in any XGBoost format (JSON, UBJSON, legacy
 * binary), `model_class` picks Booster or scikit-learn semantics. Trees are evaluated natively
 * (flavors/trees); no XGBoost library is involved.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlavorError } from '../../src/errors.js';
import type { Flavor, LoadedModel } from '../../src/model/flavor.js';
import type { MLmodel } from '../../src/model/mlmodel.js';
import { XgboostModel, type PredictMethod, type XgbApi } from './model.js';
import { parseXgboostModel } from './parse.js';
import { sklearnMeta } from './sklearn-meta.js';

export { parseXgboostModel } from './parse.js';
export { XgboostModel } from './model.js';

/** The XGBoost scikit-learn wrapper classes, also met pickled inside sklearn models. */
export const SKLEARN_API_BY_CLASS: Readonly<Record<string, XgbApi>> = {
  'xgboost.sklearn.XGBClassifier': 'classifier',
  'xgboost.sklearn.XGBRFClassifier': 'classifier',
  'xgboost.sklearn.XGBRegressor': 'regressor',
  'xgboost.sklearn.XGBRFRegressor': 'regressor',
  'xgboost.sklearn.XGBRanker': 'regressor',
  'xgboost.sklearn.XGBModel': 'regressor',
};

const API_BY_CLASS: Readonly<Record<string, XgbApi>> = { 'xgboost.core.Booster': 'booster', ...SKLEARN_API_BY_CLASS };

async function load(modelDir: string, mlmodel: MLmodel): Promise<LoadedModel> {
  const config = mlmodel.flavors.xgboost ?? {};
  const format = typeof config.model_format === 'string' ? config.model_format : 'xgb';
  const file = typeof config.data === 'string' ? config.data : `model.${format}`;
  const modelClass = typeof config.model_class === 'string' ? config.model_class : 'xgboost.core.Booster';
  const api = API_BY_CLASS[modelClass];
  if (api === undefined) {
    throw new FlavorError('xgboost', `model_class ${modelClass} is not supported (supported: ${Object.keys(API_BY_CLASS).join(', ')})`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(modelDir, file));
  } catch (err) {
    throw new FlavorError('xgboost', `cannot read the model file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let booster;
  try {
    booster = parseXgboostModel(bytes);
  } catch (err) {
    throw new FlavorError('xgboost', `cannot load ${file}: ${(err as Error).message}`, { cause: err });
  }
  const pyfunc = mlmodel.flavors.python_function ?? {};
  const method: PredictMethod = pyfunc.predict_fn === 'predict_proba' && api === 'classifier' ? 'predict_proba' : 'predict';
  return new XgboostModel(booster, api, sklearnMeta(booster.attributes), method);
}

export const xgboostFlavor: Flavor = { name: 'xgboost', cpuBound: true, load };
