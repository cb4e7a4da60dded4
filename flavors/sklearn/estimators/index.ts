/** Every estimator family the sklearn flavor serves: one line each. */
import type { EstimatorFamily } from '../estimator.js';
import { decisionTrees } from './decision-tree.js';
import { dummies } from './dummy.js';
import { forests } from './forest.js';
import { gradientBoosting } from './gradient-boosting.js';
import { histGradientBoosting } from './hist-gradient-boosting.js';
import { lightgbmEstimators } from './lightgbm.js';
import { linearClassifiers } from './linear-classifier.js';
import { linearRegressors } from './linear-regression.js';
import { pipelines } from './pipeline.js';
import { standardScaler } from './standard-scaler.js';
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
];
