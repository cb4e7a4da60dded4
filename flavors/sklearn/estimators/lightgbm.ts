/**
 * LGBMClassifier / LGBMRegressor (and LGBMRanker / LGBMModel) pickled inside a scikit-learn
 * model (a pipeline step, or the model itself saved with mlflow.sklearn). The booster's model
 * string is in the pickle; the LightGBM flavor parses it and predicts on the shared tree
 * evaluators, with LightGBM's own pyfunc semantics.
 */
import type { Tensor } from '../../../src/model/data.js';
import { NDArray, PyObject } from '../../../src/pickle/index.js';
import { LightgbmModel } from '../../lightgbm/model.js';
import { LGBM_PICKLE_CLASSES, estimatorFromObject } from '../../lightgbm/pickled.js';
import { tableInput } from '../../trees/input.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { tensorDType } from '../output.js';
import type { Table } from '../table.js';

const ESTIMATORS = ['LGBMClassifier', 'LGBMRegressor', 'LGBMRanker', 'LGBMModel'].map((n) => `lightgbm.sklearn.${n}`);

function buildLightgbm(obj: PyObject): Estimator {
  const { booster, estimator } = estimatorFromObject(obj, 'predict');
  const predictModel = new LightgbmModel(booster, estimator);
  const run = async (model: LightgbmModel, X: Table): Promise<Tensor> => {
    const out = await model.predict(tableInput(X.rows, X.names, X.columns));
    if (out.kind !== 'tensor') throw new Error(`${obj.name} returned an unexpected output`);
    return out.tensor;
  };
  // Labels keep the dtype of the fitted classes (an object array of str is 'object', not 'string').
  const encoder = obj.get('_le');
  const classes = encoder instanceof PyObject ? encoder.get('classes_') : obj.get('_classes');
  const labelDType = classes instanceof NDArray ? tensorDType(classes.dtype) : null;
  const predict = async (X: Table): Promise<Tensor> => {
    const t = await run(predictModel, X);
    return labelDType === null || estimator.api !== 'classifier' ? t : { ...t, dtype: labelDType };
  };
  const result: Estimator = { name: obj.name, predict };
  if (estimator.api !== 'classifier') return result;
  const probaModel = new LightgbmModel(booster, { ...estimator, method: 'predict_proba' });
  return { ...result, predictProba: (X) => run(probaModel, X) };
}

export const lightgbmEstimators: EstimatorFamily = {
  classes: ESTIMATORS,
  parts: [...LGBM_PICKLE_CLASSES].filter((c) => !ESTIMATORS.includes(c)),
  build: buildLightgbm,
};
