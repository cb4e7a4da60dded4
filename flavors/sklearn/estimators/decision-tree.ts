/**
 * DecisionTreeClassifier/Regressor and ExtraTreeClassifier/Regressor (sklearn.tree).
 * Also the per-tree pieces forests and gradient boosting reuse: `FittedTree`.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, NDArray, asArray, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { argmax, logInPlace, npSum } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { TreeModel, treeOf } from './tree-model.js';

const MODULES = ['sklearn.tree._classes', 'sklearn.tree.tree'];
const CLASSIFIERS = ['DecisionTreeClassifier', 'ExtraTreeClassifier'];
const REGRESSORS = ['DecisionTreeRegressor', 'ExtraTreeRegressor'];

const NAN_CRITERIA_1_3 = new Set(['gini', 'entropy', 'log_loss', 'squared_error', 'friedman_mse', 'poisson']);

/**
 * Whether this tree's sklearn version lets NaN through predict: 1.3 added it for the best
 * splitter (some criteria, and from 1.4 only without monotonic constraints); 1.6 for every tree.
 */
export function treeAcceptsNaN(obj: PyObject): boolean {
  const v = versionOf(obj);
  if (!atLeast(v, 1, 3)) return false;
  if (atLeast(v, 1, 6)) return true;
  const a = new Attributes(obj);
  const monotonic = a.raw('monotonic_cst');
  return a.raw('splitter') === 'best' && NAN_CRITERIA_1_3.has(String(a.raw('criterion'))) && (monotonic === undefined || monotonic === null);
}

/** One fitted tree estimator's predictions, as its predict/predict_proba compute them. */
export class FittedTree {
  readonly tree: TreeModel;
  /** sklearn < 1.4 stored class counts per leaf and normalised in predict_proba; later versions store fractions. */
  private readonly normalize: boolean;

  constructor(obj: PyObject) {
    this.tree = treeOf(obj);
    this.normalize = !atLeast(versionOf(obj), 1, 4);
  }

  /** `tree_.predict(X)` for output k: the leaf values [rows, nClasses]. */
  leafValues(columns: readonly Float64Array[], rows: number, k: number, nClasses: number): Float64Array {
    const leaves = this.tree.apply(columns, rows);
    const { values, nOutputs, maxClasses } = this.tree;
    const out = new Float64Array(rows * nClasses);
    for (let i = 0; i < rows; i++) {
      const from = (leaves[i]! * nOutputs + k) * maxClasses;
      for (let c = 0; c < nClasses; c++) out[i * nClasses + c] = values[from + c]!;
    }
    return out;
  }

  /** `predict_proba` of output k. */
  proba(columns: readonly Float64Array[], rows: number, k: number, nClasses: number): Float64Array {
    const p = this.leafValues(columns, rows, k, nClasses);
    if (this.normalize) {
      for (let base = 0; base < p.length; base += nClasses) {
        let s = npSum(p, base, nClasses);
        if (s === 0) s = 1;
        for (let c = 0; c < nClasses; c++) p[base + c]! /= s;
      }
    }
    return p;
  }

  /** Regression `predict`: [rows, nOutputs]. */
  regression(columns: readonly Float64Array[], rows: number): Float64Array {
    const leaves = this.tree.apply(columns, rows);
    const { values, nOutputs, maxClasses } = this.tree;
    const out = new Float64Array(rows * nOutputs);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < nOutputs; k++) out[i * nOutputs + k] = values[(leaves[i]! * nOutputs + k) * maxClasses]!;
    }
    return out;
  }
}

/** classes_ per output: one array for a single output, a list of arrays for several. */
export function classesPerOutput(a: Attributes, nOutputs: number): NDArray[] {
  if (nOutputs === 1) return [a.array('classes_')];
  return a.sequence('classes_').map((c, k) => asArray(c, `${a.obj.name}.classes_[${k}]`));
}

/** `classes_[k].take(argmax(proba))` for each output, into an [rows] or [rows, nOutputs] label tensor. */
export function labelsFromScores(classes: NDArray[], scores: Float64Array[], rows: number): Tensor {
  if (classes.length === 1) {
    const n = classes[0]!.size;
    const idx = new Int32Array(rows);
    for (let i = 0; i < rows; i++) idx[i] = argmax(scores[0]!, i * n, n);
    return takeLabels(classes[0]!, idx);
  }
  const nOutputs = classes.length;
  const perOutput = classes.map((c, k) => {
    const n = c.size;
    const idx = new Int32Array(rows);
    for (let i = 0; i < rows; i++) idx[i] = argmax(scores[k]!, i * n, n);
    return takeLabels(c, idx);
  });
  const first = perOutput[0]!;
  const numeric = first.values instanceof Float64Array;
  const values: Float64Array | unknown[] = numeric ? new Float64Array(rows * nOutputs) : new Array<unknown>(rows * nOutputs);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < nOutputs; k++) (values as unknown[] | Float64Array)[i * nOutputs + k] = perOutput[k]!.values[i] as never;
  }
  return { dtype: first.dtype, shape: [rows, nOutputs], values };
}

function buildTree(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const fitted = new FittedTree(obj);
  const check = featureCheckOf(obj);
  const options = { float32: true, allowNaN: treeAcceptsNaN(obj) };
  const nOutputs = a.int('n_outputs_');
  const columnsOf = (X: Table) => numericFeatures(X, check, options);

  if (REGRESSORS.includes(obj.name)) {
    return {
      name: obj.name,
      predict(X) {
        const out = fitted.regression(columnsOf(X), X.rows);
        return float64Tensor(out, nOutputs === 1 ? [X.rows] : [X.rows, nOutputs]);
      },
    };
  }
  const classes = classesPerOutput(a, nOutputs);
  const proba = (X: Table): Float64Array => {
    const n = classes[0]!.size;
    return fitted.proba(columnsOf(X), X.rows, 0, n);
  };
  return {
    name: obj.name,
    predict(X) {
      const columns = columnsOf(X);
      const scores = classes.map((c, k) => fitted.leafValues(columns, X.rows, k, c.size));
      return labelsFromScores(classes, scores, X.rows);
    },
    ...(nOutputs === 1
      ? {
          predictProba: (X) => float64Tensor(proba(X), [X.rows, classes[0]!.size]),
          predictLogProba: (X) => float64Tensor(logInPlace(proba(X)), [X.rows, classes[0]!.size]),
        }
      : {}),
  };
}

export const decisionTrees: EstimatorFamily = {
  classes: MODULES.flatMap((m) => [...CLASSIFIERS, ...REGRESSORS].map((n) => `${m}.${n}`)),
  parts: ['sklearn.tree._tree.Tree'],
  build: buildTree,
};
