/** Every estimator family the sklearn flavor serves: one line each. */
import type { EstimatorFamily } from '../estimator.js';
import { decisionTrees } from './decision-tree.js';

export const FAMILIES: readonly EstimatorFamily[] = [
  decisionTrees,
];
