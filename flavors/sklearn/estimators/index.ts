/** Every estimator family the sklearn flavor serves: one line each. */
import type { EstimatorFamily } from '../estimator.js';
import { adaBoost } from './adaboost.js';
import { bagging } from './bagging.js';
import { stacking } from './stacking.js';
import { voting } from './voting.js';
import { calibratedClassifiers } from './calibration.js';
import { isolationForest } from './iforest.js';
import { kMeans } from './kmeans.js';
import { quantilePowerTransformers } from './quantile-power.js';
import { textVectorizers } from './text.js';
import { transformedTarget } from './transformed-target.js';
import { columnTransformer } from './column-transformer.js';
import { decisionTrees } from './decision-tree.js';
import { dictVectorizer } from './dict-vectorizer.js';
import { dummies } from './dummy.js';
import { forests } from './forest.js';
import { functionTransformer } from './function-transformer.js';
import { gradientBoosting } from './gradient-boosting.js';
import { histGradientBoosting } from './hist-gradient-boosting.js';
import { labelEncoder } from './label-encoder.js';
import { lightgbmEstimators } from './lightgbm.js';
import { linearClassifiers } from './linear-classifier.js';
import { linearRegressors } from './linear-regression.js';
import { linearSvms } from './linear-svm.js';
import { discreteNB, gaussianNB } from './naive-bayes.js';
import { multilayerPerceptrons } from './mlp.js';
import { kNeighbors } from './neighbors.js';
import { normalizer } from './normalizer.js';
import { oneHotEncoder } from './one-hot-encoder.js';
import { ordinalEncoder } from './ordinal-encoder.js';
import { pca } from './pca.js';
import { pipelines } from './pipeline.js';
import { polynomialFeatures } from './polynomial-features.js';
import { scalers } from './scalers.js';
import { simpleImputer } from './simple-imputer.js';
import { standardScaler } from './standard-scaler.js';
import { kernelSvms } from './svm.js';
import { xgboostEstimators } from './xgboost.js';

export const FAMILIES: readonly EstimatorFamily[] = [
  decisionTrees,
  forests,
  gradientBoosting,
  histGradientBoosting,
  lightgbmEstimators,
  xgboostEstimators,
  linearRegressors,
  linearClassifiers,
  dummies,
  pipelines,
  standardScaler,
  kernelSvms,
  linearSvms,
  kNeighbors,
  gaussianNB,
  columnTransformer,
  oneHotEncoder,
  ordinalEncoder,
  labelEncoder,
  simpleImputer,
  scalers,
  normalizer,
  polynomialFeatures,
  pca,
  dictVectorizer,
  functionTransformer,
  multilayerPerceptrons,
  adaBoost,
  bagging,
  voting,
  stacking,
  calibratedClassifiers,
  isolationForest,
  kMeans,
  quantilePowerTransformers,
  textVectorizers,
  discreteNB,
  transformedTarget,
];
