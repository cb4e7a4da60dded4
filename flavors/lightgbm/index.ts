/**
 * The lightgbm flavor (spec §4): a Booster saved as LightGBM text (`model.lgb`), or a pickled
 * scikit-learn estimator (`model.pkl`: LGBMClassifier / LGBMRegressor / LGBMRanker) whose
 * booster is the same text inside the pickle. Trees are evaluated natively (flavors/trees).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlavorError } from '../../src/errors.js';
import type { Flavor, LoadedModel } from '../../src/model/flavor.js';
import type { MLmodel } from '../../src/model/mlmodel.js';
import { LightgbmModel, type PredictMethod } from './model.js';
import { estimatorFromPickle } from './pickled.js';
import { parseLightgbmModel } from './text-model.js';

export { parseLightgbmModel, type LgbBooster } from './text-model.js';
export { LightgbmModel } from './model.js';

async function load(modelDir: string, mlmodel: MLmodel): Promise<LoadedModel> {
  const config = mlmodel.flavors.lightgbm ?? {};
  const file = typeof config.data === 'string' ? config.data : 'model.lgb';
  const modelClass = typeof config.model_class === 'string' ? config.model_class : 'lightgbm.basic.Booster';
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(modelDir, file));
  } catch (err) {
    throw new FlavorError('lightgbm', `cannot read the model file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const pyfunc = mlmodel.flavors.python_function ?? {};
  const method: PredictMethod = pyfunc.predict_fn === 'predict_proba' ? 'predict_proba' : 'predict';
  try {
    if (modelClass === 'lightgbm.basic.Booster') {
      return new LightgbmModel(parseLightgbmModel(new TextDecoder().decode(bytes)));
    }
    const { booster, estimator } = estimatorFromPickle(bytes, modelClass, method);
    return new LightgbmModel(booster, estimator);
  } catch (err) {
    throw new FlavorError('lightgbm', `cannot load ${file} (${modelClass}): ${(err as Error).message}`, { cause: err });
  }
}

export const lightgbmFlavor: Flavor = { name: 'lightgbm', cpuBound: true, load };
