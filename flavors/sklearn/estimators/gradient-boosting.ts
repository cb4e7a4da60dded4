/**
 * GradientBoostingClassifier/Regressor (sklearn.ensemble._gb). raw = init_ prediction (in link
 * space) + sum over stages of learning_rate * tree value, trees reading float32 X, exactly in
 * sklearn's order. The loss object decides the link: scikit-learn <= 1.2 pickles its own
 * `_gb_losses` classes, later versions the shared `sklearn._loss` ones, and their formulas for
 * init and probabilities differ a little; both are reproduced.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, asObject, type PyObject } from '../../../src/pickle/index.js';
import { now, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { EPS32, EPS64, argmax, clip, expit, logInPlace, logSumExp, logit, npSum, softmaxRows } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import { numericTable, type Table } from '../table.js';
import { FittedTree, treeInput } from './decision-tree.js';
import { GB_LOSSES, SKLEARN_LOSSES } from './losses.js';

const MODULES = ['sklearn.ensemble._gb', 'sklearn.ensemble.gradient_boosting'];

type Loss =
  | { kind: 'regression' }
  | { kind: 'binomial' | 'exponential' | 'multinomial'; legacy: boolean };

const REGRESSION_LOSSES = new Set([
  'LeastSquaresError', 'LeastAbsoluteError', 'HuberLossFunction', 'QuantileLossFunction',
  'HalfSquaredError', 'AbsoluteError', 'HuberLoss', 'PinballLoss',
]);

function lossOf(obj: PyObject): Loss {
  const a = new Attributes(obj);
  const loss = asObject(a.raw('_loss') ?? a.raw('loss_'), `${obj.name}._loss`);
  const legacy = loss.className.includes('_gb_losses') || loss.className.includes('gb_losses');
  const name = loss.name;
  if (REGRESSION_LOSSES.has(name)) return { kind: 'regression' };
  if (name === 'BinomialDeviance' || name === 'HalfBinomialLoss') return { kind: 'binomial', legacy };
  if (name === 'MultinomialDeviance' || name === 'HalfMultinomialLoss') return { kind: 'multinomial', legacy };
  if (name === 'ExponentialLoss') return { kind: 'exponential', legacy };
  throw new TypeError(`${obj.name} with loss ${loss.className} is not supported`);
}

/** The init estimator's predictions mapped to raw (link) space: [rows, K]. */
function initRaw(loss: Loss, init: Estimator, X: Table, K: number): Float64Array {
  const rows = X.rows;
  if (loss.kind === 'regression') {
    const y = now(init.predict!(X), 'a boosting init_').values as Float64Array;
    return Float64Array.from(y);
  }
  const proba = now(init.predictProba!(X), 'a boosting init_').values as Float64Array;
  const k = proba.length / rows;
  const out = new Float64Array(rows * K);
  if (loss.kind === 'multinomial') {
    if (loss.legacy) {
      for (let i = 0; i < out.length; i++) out[i] = Math.log(clip(proba[i]!, EPS32, 1 - EPS32));
      return out;
    }
    // MultinomialLogit.link: log(p / gmean(p)) per row
    const p = proba.map((v) => clip(v, EPS64, 1 - EPS64));
    const logs = new Float64Array(K);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < K; c++) logs[c] = Math.log(p[i * K + c]!);
      const gm = Math.exp(npSum(logs, 0, K) / K);
      for (let c = 0; c < K; c++) out[i * K + c] = Math.log(p[i * K + c]! / gm);
    }
    return out;
  }
  const half = loss.kind === 'exponential' ? 0.5 : 1;
  for (let i = 0; i < rows; i++) {
    const positive = proba[i * k + 1]!;
    if (loss.legacy) {
      const p = clip(positive, EPS32, 1 - EPS32);
      out[i] = half === 1 ? Math.log(p / (1 - p)) : 0.5 * Math.log(p / (1 - p));
    } else {
      const p = clip(positive, EPS64, 1 - EPS64);
      out[i] = half === 1 ? logit(p) : 0.5 * logit(p);
    }
  }
  return out;
}

function buildGradientBoosting(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const loss = lossOf(obj);
  const stages = a.array('estimators_');
  if (stages.ndim !== 2) throw new TypeError(`${obj.name}.estimators_ has shape (${stages.shape.join(', ')})`);
  const K = stages.shape[1]!;
  const trees = stages.items().map((t, i) => new FittedTree(asObject(t, `${obj.name}.estimators_[${i}]`)));
  const learningRate = a.number('learning_rate');
  const initValue = a.required('init_');
  const init = initValue === 'zero' ? null : ctx.build(initValue, `${obj.name}.init_`);
  if (init !== null && (loss.kind === 'regression' ? init.predict : init.predictProba) === undefined) {
    throw new TypeError(`${obj.name}.init_ (${init.name}) cannot give the predictions boosting starts from`);
  }
  const check = featureCheckOf(obj);

  const raw = (X: Table): Float64Array => {
    const columns = numericFeatures(X, check, { float32: true });
    const rows = X.rows;
    // init_ sees the validated array: float32 values, no feature names.
    const out = init === null ? new Float64Array(rows * K) : initRaw(loss, init, numericTable(columns, rows, 'float32'), K);
    const input = treeInput(columns, rows);
    for (let s = 0; s < stages.shape[0]!; s++) {
      for (let k = 0; k < K; k++) trees[s * K + k]!.addScaled(input, learningRate, out, K, k);
    }
    return out;
  };

  if (loss.kind === 'regression') {
    return { name: obj.name, predict: (X) => float64Tensor(raw(X), [X.rows]) };
  }

  const classes = a.array('classes_');
  const n = classes.size;
  const proba = (X: Table): Float64Array => {
    const r = raw(X);
    const rows = X.rows;
    if (loss.kind === 'multinomial') {
      if (!loss.legacy) return softmaxRows(r, K);
      const out = new Float64Array(rows * K);
      for (let i = 0; i < rows; i++) {
        const lse = logSumExp(r, i * K, K);
        for (let c = 0; c < K; c++) {
          const v = Math.exp(r[i * K + c]! - lse);
          out[i * K + c] = Number.isNaN(v) ? 0 : v;
        }
      }
      return out;
    }
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const p = expit(loss.kind === 'exponential' ? 2 * r[i]! : r[i]!);
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  };
  const predict = (X: Table): Tensor => {
    const rows = X.rows;
    const idx = new Int32Array(rows);
    if (loss.kind === 'multinomial') {
      const scores = loss.legacy ? proba(X) : raw(X);
      for (let i = 0; i < rows; i++) idx[i] = argmax(scores, i * K, K);
    } else if (loss.kind === 'binomial' && loss.legacy) {
      const p = proba(X);
      for (let i = 0; i < rows; i++) idx[i] = argmax(p, 2 * i, 2);
    } else {
      const r = raw(X);
      for (let i = 0; i < rows; i++) idx[i] = r[i]! >= 0 ? 1 : 0;
    }
    return takeLabels(classes, idx);
  };
  return {
    name: obj.name,
    predict,
    predictProba: (X) => float64Tensor(proba(X), [X.rows, n]),
    predictLogProba: (X) => float64Tensor(logInPlace(proba(X)), [X.rows, n]),
    // the raw scores, raveled for two classes
    decisionFunction: (X) => float64Tensor(raw(X), K === 1 ? [X.rows] : [X.rows, K]),
  };
}

export const gradientBoosting: EstimatorFamily = {
  classes: MODULES.flatMap((m) => [`${m}.GradientBoostingClassifier`, `${m}.GradientBoostingRegressor`]),
  parts: [...GB_LOSSES, ...SKLEARN_LOSSES],
  build: buildGradientBoosting,
};
