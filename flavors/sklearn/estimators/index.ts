/** Every estimator family the sklearn flavor serves: one line each. */
import type { EstimatorFamily } from '../estimator.js';
import { decisionTrees } from './decision-tree.js';
import { forests } from './forest.js';
import { linearClassifiers } from './linear-classifier.js';
import { linearRegressors } from './linear-regression.js';

export const FAMILIES: readonly EstimatorFamily[] = [
  decisionTrees,
  forests,
  linearRegressors,
  linearClassifiers,
];
