/**
 * The contract between the sklearn flavor and each estimator family under estimators/.
 * A family turns one unpickled instance (plain data) into an object with the methods MLflow's
 * pyfunc may call; everything is read and checked at load, so predict never meets a surprise.
 */
import type { Tensor } from '../../src/model/data.js';
import type { PyObject, PyValue } from '../../src/pickle/index.js';
import type { Table } from './table.js';

/**
 * A method's result. scikit-learn estimators compute it synchronously; LightGBM and XGBoost
 * estimators inside a pipeline run on the shared tree evaluators, which may use worker threads.
 */
export type Prediction = Tensor | Promise<Tensor>;

export interface Estimator {
  /** The short class name, for messages: `RandomForestClassifier`. */
  readonly name: string;
  predict?(X: Table): Prediction;
  /** float64 [n, n_classes] */
  predictProba?(X: Table): Prediction;
  predictLogProba?(X: Table): Prediction;
  /** naive Bayes only */
  predictJointLogProba?(X: Table): Prediction;
  /** float64 [n] (two classes, one output) or [n, k]: what stacking and calibration read from a member */
  decisionFunction?(X: Table): Prediction;
  transform?(X: Table): Table;
  /** TransformedTargetRegressor's way back from the transformed target */
  inverseTransform?(X: Table): Table;
}

/** A prediction an estimator needs right away (an init_ estimator, a stacked step): it must be synchronous. */
export function now(p: Prediction, what: string): Tensor {
  if (p instanceof Promise) throw new TypeError(`${what} must be a scikit-learn estimator (found a LightGBM/XGBoost one)`);
  return p;
}

/** What a family may ask of the flavor while building. */
export interface BuildContext {
  /** Builds a nested estimator (a pipeline step, a forest's tree, a boosting init_). */
  build(value: PyValue | undefined, what: string): Estimator;
}

export interface EstimatorFamily {
  /**
   * Fully qualified class names this family builds, under every module path scikit-learn
   * pickled them from (0.23 to today), e.g. `sklearn.ensemble._forest.RandomForestClassifier`.
   */
  readonly classes: readonly string[];
  /** Other classes (and functions referenced as values) that appear only inside these estimators' state. */
  readonly parts?: readonly string[];
  build(obj: PyObject, ctx: BuildContext): Estimator;
}

/** `module.Name` for each name, under each module path. */
export function qualified(modules: readonly string[], names: readonly string[]): string[] {
  return modules.flatMap((m) => names.map((n) => `${m}.${n}`));
}
