/**
 * AdaBoostClassifier and AdaBoostRegressor (sklearn.ensemble._weight_boosting).
 * Classifier: SAMME.R (sklearn < 1.6) sums each member's symmetric log-probabilities; SAMME sums
 * each member's weighted vote, which sklearn 1.3 made symmetric (`-w / (K - 1)` for the classes
 * not voted for, 0 before). Probabilities are the softmax of the decision / (K - 1).
 * Regressor: the weighted median of the members' predictions.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf } from '../features.js';
import { EPS64, argmax, logInPlace, npSum, softmaxRows } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { answer, memberInput, numbersOf, requireMethod } from './members.js';

function members(obj: PyObject, ctx: BuildContext): { estimators: Estimator[]; weights: Float64Array } {
  const a = new Attributes(obj);
  const estimators = a.sequence('estimators_').map((e, i) => ctx.build(e, `${obj.name}.estimators_[${i}]`));
  const weights = a.numbers('estimator_weights_');
  if (estimators.length === 0) throw new TypeError(`${obj.name} has no fitted estimators`);
  if (weights.length < estimators.length) throw new TypeError(`${obj.name} has ${weights.length} weights for ${estimators.length} estimators`);
  return { estimators, weights };
}

/** Label → class index, for comparing a member's predicted labels with classes_. */
function labelIndex(t: Tensor): (i: number) => string {
  const v = t.values;
  return (i) => (v instanceof Float64Array ? `n${v[i]}` : typeof v[i] === 'number' ? `n${v[i] as number}` : `s${String(v[i])}`);
}

function buildClassifier(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const { estimators, weights } = members(obj, ctx);
  const classes = a.array('classes_');
  const K = classes.size;
  if (K < 2) throw new TypeError(`${obj.name} fitted on a single class is not supported`);
  const algorithm = a.has('algorithm') ? String(a.raw('algorithm')) : 'SAMME';
  const realBoost = algorithm === 'SAMME.R';
  if (!realBoost && algorithm !== 'SAMME' && algorithm !== 'deprecated') throw new TypeError(`${obj.name} with algorithm='${algorithm}' is not supported`);
  const symmetric = atLeast(versionOf(obj), 1, 3);
  for (const e of estimators) requireMethod(e, realBoost ? 'predictProba' : 'predict', obj.name);
  const classKey = labelIndex(takeLabels(classes, Int32Array.from({ length: K }, (_, c) => c)));
  const classOf = new Map<string, number>(Array.from({ length: K }, (_, c) => [classKey(c), c]));
  const totalWeight = npSum(weights);
  const check = featureCheckOf(obj);

  /** decision_function before the binary fold: [rows, K] */
  const scores = (X: Table): Float64Array => {
    const input = memberInput(X, check);
    const n = X.rows;
    const pred = new Float64Array(n * K);
    estimators.forEach((e, m) => {
      if (realBoost) {
        const proba = numbersOf(answer(e, 'predictProba', input, obj.name), `${obj.name} member`);
        const logs = proba.map((p) => Math.log(Math.max(p, EPS64)));
        for (let i = 0; i < n; i++) {
          const mean = (1 / K) * npSum(logs, i * K, K);
          for (let c = 0; c < K; c++) pred[i * K + c]! += (K - 1) * (logs[i * K + c]! - mean);
        }
        return;
      }
      const w = weights[m]!;
      const other = symmetric ? (-1 / (K - 1)) * w : 0;
      const labels = answer(e, 'predict', input, obj.name);
      const key = labelIndex(labels);
      for (let i = 0; i < n; i++) {
        const c = classOf.get(key(i));
        for (let j = 0; j < K; j++) pred[i * K + j]! += j === c ? w : other;
      }
    });
    for (let i = 0; i < pred.length; i++) pred[i]! /= totalWeight;
    return pred;
  };
  const decision = (X: Table): Float64Array => {
    const pred = scores(X);
    if (K !== 2) return pred;
    return Float64Array.from({ length: X.rows }, (_, i) => -pred[2 * i]! + pred[2 * i + 1]!);
  };
  const proba = (X: Table): Float64Array => {
    const d = decision(X);
    if (K === 2) {
      const two = new Float64Array(X.rows * 2);
      for (let i = 0; i < X.rows; i++) {
        two[2 * i] = -d[i]! / 2;
        two[2 * i + 1] = d[i]! / 2;
      }
      return softmaxRows(two, 2);
    }
    for (let i = 0; i < d.length; i++) d[i]! /= K - 1;
    return softmaxRows(d, K);
  };
  return {
    name: obj.name,
    predict(X) {
      const d = decision(X);
      const idx = new Int32Array(X.rows);
      for (let i = 0; i < X.rows; i++) idx[i] = K === 2 ? (d[i]! > 0 ? 1 : 0) : argmax(d, i * K, K);
      return takeLabels(classes, idx);
    },
    decisionFunction: (X) => float64Tensor(decision(X), K === 2 ? [X.rows] : [X.rows, K]),
    predictProba: (X) => float64Tensor(proba(X), [X.rows, K]),
    predictLogProba: (X) => float64Tensor(logInPlace(proba(X)), [X.rows, K]),
  };
}

function buildRegressor(obj: PyObject, ctx: BuildContext): Estimator {
  const { estimators, weights } = members(obj, ctx);
  for (const e of estimators) requireMethod(e, 'predict', obj.name);
  const check = featureCheckOf(obj);
  const m = estimators.length;
  return {
    name: obj.name,
    predict(X) {
      const input = memberInput(X, check);
      const predictions = estimators.map((e) => numbersOf(answer(e, 'predict', input, obj.name), `${obj.name} member`));
      const out = new Float64Array(X.rows);
      const order = Array.from({ length: m }, (_, j) => j);
      const cdf = new Float64Array(m);
      for (let i = 0; i < X.rows; i++) {
        // argsort, cumsum of the sorted weights, first index reaching half the total
        order.sort((p, q) => predictions[p]![i]! - predictions[q]![i]! || p - q);
        let sum = 0;
        for (let j = 0; j < m; j++) cdf[j] = sum += weights[order[j]!]!;
        const half = 0.5 * cdf[m - 1]!;
        let at = 0;
        while (at < m - 1 && !(cdf[at]! >= half)) at++;
        out[i] = predictions[order[at]!]![i]!;
      }
      return float64Tensor(out, [X.rows]);
    },
  };
}

const MODULES = ['sklearn.ensemble._weight_boosting', 'sklearn.ensemble.weight_boosting'];

export const adaBoost: EstimatorFamily = {
  classes: qualified(MODULES, ['AdaBoostClassifier', 'AdaBoostRegressor']),
  build: (obj, ctx) => (obj.name === 'AdaBoostClassifier' ? buildClassifier(obj, ctx) : buildRegressor(obj, ctx)),
};
