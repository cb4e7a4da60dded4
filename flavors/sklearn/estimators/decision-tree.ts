/**
 * DecisionTreeClassifier/Regressor and ExtraTreeClassifier/Regressor (sklearn.tree).
 * Also the per-tree pieces forests and gradient boosting reuse: `FittedTree`.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, NDArray, asArray, asNumbers, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { argmax, logInPlace, npSum } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { TreeModel, rowMajor, treeOf } from './tree-model.js';

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

/** The validated input as a tree reads it: float32-rounded, row-major. */
export interface TreeInput {
  readonly X: Float64Array;
  readonly nFeatures: number;
  readonly rows: number;
}

export function treeInput(columns: readonly Float64Array[], rows: number): TreeInput {
  return { X: rowMajor(columns, rows), nFeatures: columns.length, rows };
}

/** One fitted tree estimator's predictions, as its predict/predict_proba compute them. */
export class FittedTree {
  readonly tree: TreeModel;
  /**
   * predict_proba's value per leaf and output: sklearn < 1.4 stored class counts and divided
   * each row by its sum (per leaf, so computed once here, the same doubles); later versions
   * store fractions and return them as they are.
   */
  private readonly probaValues: Float64Array;

  constructor(obj: PyObject) {
    this.tree = treeOf(obj);
    const { values, nOutputs, maxClasses } = this.tree;
    this.probaValues = values;
    const nClasses = obj.get('n_classes_');
    if (!atLeast(versionOf(obj), 1, 4) && nClasses !== undefined) {
      // `proba[:, k, :n_classes_[k]]` summed per row: over each output's own class count.
      const perOutput = asNumbers(nClasses, `${obj.name}.n_classes_`);
      const p = (this.probaValues = values.slice());
      for (let base = 0; base < p.length; base += maxClasses) {
        const n = perOutput[(base / maxClasses) % nOutputs] ?? maxClasses;
        let s = npSum(p, base, n);
        if (s === 0) s = 1;
        for (let c = 0; c < n; c++) p[base + c]! /= s;
      }
    }
  }

  /** Adds this tree's `tree_.predict(X)` rows for output k ([rows, nClasses]) into `out`. */
  addLeafValues(input: TreeInput, k: number, nClasses: number, out: Float64Array, proba: boolean): void {
    const leaves = this.tree.apply(input.X, input.nFeatures, input.rows);
    const { nOutputs, maxClasses } = this.tree;
    const values = proba ? this.probaValues : this.tree.values;
    for (let i = 0; i < input.rows; i++) {
      const from = (leaves[i]! * nOutputs + k) * maxClasses;
      const to = i * nClasses;
      for (let c = 0; c < nClasses; c++) out[to + c]! += values[from + c]!;
    }
  }

  /** This tree's regression `predict`: [rows, nOutputs]. */
  regression(input: TreeInput): Float64Array {
    const leaves = this.tree.apply(input.X, input.nFeatures, input.rows);
    const { values, nOutputs, maxClasses } = this.tree;
    const out = new Float64Array(input.rows * nOutputs);
    for (let i = 0; i < input.rows; i++) {
      for (let k = 0; k < nOutputs; k++) out[i * nOutputs + k] = values[(leaves[i]! * nOutputs + k) * maxClasses]!;
    }
    return out;
  }

  /** Adds `scale * value` of each row's leaf (output 0) into out[i * stride + offset], as boosting does. */
  addScaled(input: TreeInput, scale: number, out: Float64Array, stride: number, offset: number): void {
    const leaves = this.tree.apply(input.X, input.nFeatures, input.rows);
    const { values, nOutputs, maxClasses } = this.tree;
    for (let i = 0; i < input.rows; i++) out[i * stride + offset]! += scale * values[leaves[i]! * nOutputs * maxClasses]!;
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
  const inputOf = (X: Table): TreeInput => treeInput(numericFeatures(X, check, options), X.rows);

  if (REGRESSORS.includes(obj.name)) {
    return {
      name: obj.name,
      predict: (X) => float64Tensor(fitted.regression(inputOf(X)), nOutputs === 1 ? [X.rows] : [X.rows, nOutputs]),
    };
  }
  const classes = classesPerOutput(a, nOutputs);
  const scores = (input: TreeInput, k: number, proba: boolean): Float64Array => {
    const out = new Float64Array(input.rows * classes[k]!.size);
    fitted.addLeafValues(input, k, classes[k]!.size, out, proba);
    return out;
  };
  const n = classes[0]!.size;
  return {
    name: obj.name,
    predict(X) {
      const input = inputOf(X);
      return labelsFromScores(classes, classes.map((_, k) => scores(input, k, false)), X.rows);
    },
    ...(nOutputs === 1
      ? {
          predictProba: (X: Table) => float64Tensor(scores(inputOf(X), 0, true), [X.rows, n]),
          predictLogProba: (X: Table) => float64Tensor(logInPlace(scores(inputOf(X), 0, true)), [X.rows, n]),
        }
      : {}),
  };
}

export const decisionTrees: EstimatorFamily = {
  classes: MODULES.flatMap((m) => [...CLASSIFIERS, ...REGRESSORS].map((n) => `${m}.${n}`)),
  parts: ['sklearn.tree._tree.Tree'],
  build: buildTree,
};
