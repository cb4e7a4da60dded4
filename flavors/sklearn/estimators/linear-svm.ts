/**
 * LinearSVC and LinearSVR (sklearn.svm, liblinear): plain linear models once fitted. LinearSVC
 * predicts like every LinearClassifierMixin (score > 0 for two classes, else the first highest
 * score); it has no predict_proba. LinearSVR returns `X @ coef_ + intercept_`.
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { argmax } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import { linearDecisionFunction, linearDecisionOf, linearScores } from './linear-model.js';

function buildLinearSvm(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const d = linearDecisionOf(a);
  if (obj.name === 'LinearSVR') {
    return {
      name: obj.name,
      predict(X) {
        const { scores } = linearScores(d, X);
        return float64Tensor(scores, [X.rows]);
      },
    };
  }
  const classes = a.array('classes_');
  const k = d.coef.length;
  return {
    name: obj.name,
    predict(X) {
      const { scores } = linearScores(d, X);
      const idx = new Int32Array(X.rows);
      for (let i = 0; i < X.rows; i++) idx[i] = k === 1 ? (scores[i]! > 0 ? 1 : 0) : argmax(scores, i * k, k);
      return takeLabels(classes, idx);
    },
    decisionFunction: (X) => linearDecisionFunction(d, X),
  };
}

export const linearSvms: EstimatorFamily = {
  classes: qualified(['sklearn.svm._classes', 'sklearn.svm.classes'], ['LinearSVC', 'LinearSVR']),
  build: buildLinearSvm,
};
