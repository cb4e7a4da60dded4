/**
 * The sklearn flavor: a pickled scikit-learn model, read by flowgate's own unpickler (no
 * Python, no code from the pickle ever runs) and predicted by flowgate's own implementations
 * of each estimator, with MLflow's pyfunc semantics (`predict_fn`, outputs as numpy gives them).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlavorError } from '../../src/errors.js';
import type { Flavor, LoadedModel } from '../../src/model/flavor.js';
import type { MLmodel } from '../../src/model/mlmodel.js';
import { sklearnConfig, type PredictFn } from './config.js';
import type { Estimator, Prediction } from './estimator.js';
import { readSklearnModel } from './model-file.js';
import { tableFromInput, type Table } from './table.js';

export { readSklearnModel } from './model-file.js';

const METHOD: Record<PredictFn, keyof Estimator> = {
  predict: 'predict',
  predict_proba: 'predictProba',
  predict_log_proba: 'predictLogProba',
  predict_joint_log_proba: 'predictJointLogProba',
};

/** The estimator method MLflow's pyfunc calls; missing is a load error. */
export function pyfuncMethod(estimator: Estimator, predictFn: PredictFn): (X: Table) => Prediction {
  const method = estimator[METHOD[predictFn]] as ((X: Table) => Prediction) | undefined;
  if (typeof method !== 'function') throw new FlavorError('sklearn', `${estimator.name} has no ${predictFn} (the pyfunc predict_fn)`);
  return method.bind(estimator);
}

async function load(modelDir: string, mlmodel: MLmodel): Promise<LoadedModel> {
  const config = sklearnConfig(mlmodel);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(modelDir, config.modelFile));
  } catch (err) {
    throw new FlavorError('sklearn', `cannot read ${config.modelFile}: ${(err as Error).message}`, { cause: err });
  }
  const estimator = readSklearnModel(bytes, config.modelFile);
  const method = pyfuncMethod(estimator, config.predictFn);
  return {
    flavor: 'sklearn',
    async predict(input) {
      return { kind: 'tensor', tensor: await method(tableFromInput(input)) };
    },
    async dispose() {},
  };
}

export const sklearnFlavor: Flavor = { name: 'sklearn', cpuBound: true, load };
