/**
 * What meta-estimators (AdaBoost, Bagging, Voting, Stacking, calibration) share: the ndarray
 * their members were fitted on (`check_array` of the input: no feature names left, so a
 * member never checks names), column subsets of it, and a member's answer read right away.
 */
import type { Tensor } from '../../../src/model/data.js';
import type { NDArray } from '../../../src/pickle/index.js';
import { now, type Estimator } from '../estimator.js';
import { argmaxLabels, float64Tensor } from '../output.js';
import { type FeatureCheck, type NumericOptions, numericFeatures } from '../features.js';
import { arrayDType } from './table-values.js';
import type { Table } from '../table.js';

/**
 * The validated input as the ndarray members see: numbers (float32 columns stay float32, a
 * mixed table becomes float64, as numpy's common dtype would), no names.
 */
export function memberInput(X: Table, check: FeatureCheck, options: NumericOptions = {}): Table {
  const columns = numericFeatures(X, check, options);
  const common = arrayDType(X.columns);
  const dtype = common === 'float32' ? 'float32' : 'float64';
  return { rows: X.rows, names: null, columns: columns.map((values) => ({ dtype, values })) };
}

/** `X[:, features]`. */
export function selectColumns(X: Table, features: ArrayLike<number>): Table {
  return { rows: X.rows, names: null, columns: Array.from(features, (j) => X.columns[j]!) };
}

export type MemberMethod = 'predict' | 'predictProba' | 'predictLogProba' | 'decisionFunction';

const PYTHON_NAMES: Record<MemberMethod, string> = {
  predict: 'predict',
  predictProba: 'predict_proba',
  predictLogProba: 'predict_log_proba',
  decisionFunction: 'decision_function',
};

/** Fails at load when a member lacks the method its meta-estimator will call. */
export function requireMethod(member: Estimator, method: MemberMethod, owner: string): void {
  if (typeof member[method] !== 'function') throw new TypeError(`${owner} needs ${PYTHON_NAMES[method]} from its member ${member.name}, which flowgate's ${member.name} does not have`);
}

/** A member's answer, synchronously (members are scikit-learn estimators). */
export function answer(member: Estimator, method: MemberMethod, X: Table, owner: string): Tensor {
  return now(member[method]!.call(member, X), `a member of ${owner}`);
}

/** A member's numeric answer as float64 values. */
export function numbersOf(t: Tensor, what: string): Float64Array {
  if (t.values instanceof Float64Array) return t.values;
  throw new TypeError(`${what} answered ${t.dtype} values where numbers were expected`);
}

/** `named_estimators_`: a dict subclass kept in voting and stacking pickles (read by nothing here). */
export const BUNCH = ['sklearn.utils._bunch.Bunch', 'sklearn.utils.Bunch'];

/** A classifier known by its probabilities: predict is the first most probable class. */
export function fromProbabilities(name: string, classes: NDArray, proba: (X: Table) => Float64Array): Estimator {
  return {
    name,
    predict: (X) => argmaxLabels(classes, proba(X), X.rows),
    predictProba: (X) => float64Tensor(proba(X), [X.rows, classes.size]),
  };
}
