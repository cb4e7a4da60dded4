/**
 * Linear classifiers (LinearClassifierMixin): LogisticRegression (binary, multinomial and
 * one-vs-rest, by version), LogisticRegressionCV, SGDClassifier (log_loss / modified_huber
 * probabilities), Perceptron and PassiveAggressiveClassifier (labels only).
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { argmax, expit, logInPlace, npSum, softmaxRows } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { linearDecisionFunction, linearDecisionOf, linearScores } from './linear-model.js';
import { SGD_LOSSES, SKLEARN_LOSSES } from './losses.js';

const LOGISTIC = ['LogisticRegression', 'LogisticRegressionCV'];

type ProbaRule = 'ovr' | 'softmax' | 'modified_huber' | null;

/** How predict_proba turns scores into probabilities, per class and version (null: no predict_proba). */
function probaRule(obj: PyObject, nClasses: number): ProbaRule {
  const a = new Attributes(obj);
  if (LOGISTIC.includes(obj.name)) {
    const multiClass = String(a.raw('multi_class') ?? 'auto');
    const ovr = multiClass === 'ovr' || multiClass === 'warn'
      || ((multiClass === 'auto' || multiClass === 'deprecated') && (nClasses <= 2 || a.raw('solver') === 'liblinear'));
    return ovr ? 'ovr' : 'softmax';
  }
  if (obj.name === 'SGDClassifier') {
    const loss = String(a.raw('loss'));
    if (loss === 'log_loss' || loss === 'log') return 'ovr';
    if (loss === 'modified_huber') return 'modified_huber';
  }
  return null;
}

function buildLinearClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const d = linearDecisionOf(a);
  const classes = a.array('classes_');
  const nClasses = classes.size;
  const binary = d.coef.length === 1;
  const rule = probaRule(obj, nClasses);
  // sklearn 1.9 made all-zero OvR rows uniform; earlier versions divide by zero.
  const uniformZeroRows = atLeast(versionOf(obj), 1, 9);

  const predict = (X: Table): Tensor => {
    const { scores } = linearScores(d, X);
    const idx = new Int32Array(X.rows);
    for (let i = 0; i < X.rows; i++) idx[i] = binary ? (scores[i]! > 0 ? 1 : 0) : argmax(scores, i * nClasses, nClasses);
    return takeLabels(classes, idx);
  };

  const proba = (X: Table): Float64Array => {
    const { scores } = linearScores(d, X);
    const n = X.rows;
    if (binary) {
      const out = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) {
        const s = scores[i]!;
        if (rule === 'softmax') {
          // multinomial with two classes: softmax of [-s, s]
          out.set(softmaxRows(Float64Array.of(-s, s), 2), 2 * i);
        } else if (rule === 'modified_huber') {
          const p = (Math.min(1, Math.max(-1, s)) + 1) / 2;
          out[2 * i] = 1 - p;
          out[2 * i + 1] = p;
        } else {
          const p = expit(s);
          out[2 * i] = 1 - p;
          out[2 * i + 1] = p;
        }
      }
      return out;
    }
    if (rule === 'softmax') return softmaxRows(scores, nClasses);
    for (let i = 0; i < scores.length; i++) {
      scores[i] = rule === 'modified_huber' ? (Math.min(1, Math.max(-1, scores[i]!)) + 1) / 2 : expit(scores[i]!);
    }
    for (let base = 0; base < scores.length; base += nClasses) {
      let sum = npSum(scores, base, nClasses);
      if (sum === 0 && (rule === 'modified_huber' || uniformZeroRows)) {
        for (let c = 0; c < nClasses; c++) scores[base + c] = 1;
        sum = nClasses;
      }
      for (let c = 0; c < nClasses; c++) scores[base + c]! /= sum;
    }
    return scores;
  };

  return {
    name: obj.name,
    predict,
    decisionFunction: (X: Table) => linearDecisionFunction(d, X),
    ...(rule === null
      ? {}
      : {
          predictProba: (X: Table) => float64Tensor(proba(X), [X.rows, nClasses]),
          predictLogProba: (X: Table) => float64Tensor(logInPlace(proba(X)), [X.rows, nClasses]),
        }),
  };
}

export const linearClassifiers: EstimatorFamily = {
  classes: [
    ...qualified(['sklearn.linear_model._logistic', 'sklearn.linear_model.logistic'], LOGISTIC),
    ...qualified(['sklearn.linear_model._stochastic_gradient', 'sklearn.linear_model.stochastic_gradient'], ['SGDClassifier']),
    ...qualified(['sklearn.linear_model._perceptron', 'sklearn.linear_model.perceptron'], ['Perceptron']),
    ...qualified(['sklearn.linear_model._passive_aggressive', 'sklearn.linear_model.passive_aggressive'], ['PassiveAggressiveClassifier']),
  ],
  // SGD keeps its loss object in the state; predict reads the `loss` parameter instead.
  parts: [...SGD_LOSSES, ...SKLEARN_LOSSES],
  build: buildLinearClassifier,
};
