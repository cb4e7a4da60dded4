/**
 * Naive Bayes (sklearn.naive_bayes). GaussianNB: per class, log prior - ½Σlog(2π var) - ½Σ(x-θ)²/var, each
 * sum in numpy's order. Probabilities normalise with logsumexp: scipy's before scikit-learn 1.8,
 * scikit-learn's own (max entries left out, then log1p) since.
 */
import { Attributes, isNone, type NDArray, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { logSumExp, npSum } from '../numeric.js';
import { argmaxLabels, float64Tensor } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';

/** sklearn.utils._array_api._logsumexp of a[from .. from+n). */
function sklearnLogSumExp(a: Float64Array, from: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, a[from + j]!);
  const shift = Number.isFinite(max) ? max : 0;
  const exp = new Float64Array(n);
  let m = 0;
  for (let j = 0; j < n; j++) {
    if (a[from + j] === max) m++;
    else exp[j] = Math.exp(a[from + j]! - shift);
  }
  let s = npSum(exp, 0, n);
  if (s !== 0) s /= m;
  return Math.log1p(s) + Math.log(m) + max;
}

function buildGaussianNB(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const classes = a.array('classes_');
  const k = classes.size;
  const theta = a.array('theta_');
  const variance = a.numbers(a.has('var_') ? 'var_' : 'sigma_');
  const prior = a.numbers('class_prior_');
  const d = theta.shape[1]!;
  const thetaValues = theta.numbers();
  if (variance.length !== k * d || prior.length !== k) throw new TypeError(`${obj.name}: theta_, var_ and class_prior_ do not agree in size`);
  const check = featureCheckOf(obj);

  // the per-class constant: -0.5 * np.sum(np.log(2π var_i))
  const constants = Array.from({ length: k }, (_, c) => {
    const logs = Float64Array.from(variance.subarray(c * d, (c + 1) * d), (v) => Math.log(2.0 * Math.PI * v));
    return -0.5 * npSum(logs, 0, d);
  });

  /** [rows, classes] joint log likelihood. */
  const jll = (X: Table): Float64Array => {
    const columns = numericFeatures(X, { ...check, nFeatures: check.nFeatures ?? d });
    const out = new Float64Array(X.rows * k);
    const terms = new Float64Array(d);
    for (let c = 0; c < k; c++) {
      const jointi = Math.log(prior[c]!);
      for (let i = 0; i < X.rows; i++) {
        for (let j = 0; j < d; j++) {
          const diff = columns[j]![i]! - thetaValues[c * d + j]!;
          terms[j] = (diff * diff) / variance[c * d + j]!;
        }
        out[i * k + c] = jointi + (constants[c]! - 0.5 * npSum(terms, 0, d));
      }
    }
    return out;
  };

  return naiveBayesMethods(obj, classes, jll);
}

/** predict / predict_(log_)proba / predict_joint_log_proba from a joint log likelihood, as _BaseNB has them. */
function naiveBayesMethods(obj: PyObject, classes: NDArray, jll: (X: Table) => Float64Array): Estimator {
  const k = classes.size;
  const version = versionOf(obj);
  const logSumExpOf = atLeast(version, 1, 8) ? sklearnLogSumExp : logSumExp;
  const logProba = (X: Table): Float64Array => {
    const out = jll(X);
    for (let i = 0; i < X.rows; i++) {
      const norm = logSumExpOf(out, i * k, k);
      for (let c = 0; c < k; c++) out[i * k + c]! -= norm;
    }
    return out;
  };

  return {
    name: obj.name,
    predict(X) {
      return argmaxLabels(classes, jll(X), X.rows);
    },
    predictLogProba: (X) => float64Tensor(logProba(X), [X.rows, k]),
    predictProba: (X) => float64Tensor(logProba(X).map(Math.exp), [X.rows, k]),
    // predict_joint_log_proba exists since scikit-learn 1.2
    ...(atLeast(version, 1, 2) ? { predictJointLogProba: (X: Table) => float64Tensor(jll(X), [X.rows, k]) } : {}),
  };
}

/**
 * MultinomialNB, ComplementNB and BernoulliNB: X @ weights.T plus a per-class term, where the
 * weights are feature_log_prob_ (Bernoulli: log p - log(1 - p), X binarized at `binarize`).
 */
function buildDiscreteNB(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const classes = a.array('classes_');
  const k = classes.size;
  const logProb = a.array('feature_log_prob_');
  const d = logProb.shape[1]!;
  const lp = logProb.numbers();
  const prior = a.numbers('class_log_prior_');
  if (logProb.shape[0] !== k || prior.length !== k) throw new TypeError(`${obj.name}: feature_log_prob_ and class_log_prior_ do not agree with classes_`);
  const check = { ...featureCheckOf(obj), nFeatures: featureCheckOf(obj).nFeatures ?? d };
  let weights = lp;
  let offsets: Float64Array = obj.name === 'ComplementNB' ? new Float64Array(k) : prior;
  if (obj.name === 'ComplementNB' && k === 1) offsets = prior;
  const bernoulli = obj.name === 'BernoulliNB';
  const threshold = bernoulli && !isNone(a.raw('binarize')) ? a.number('binarize') : null;
  if (bernoulli) {
    // neg_prob = log(1 - exp(feature_log_prob_)); jll = X @ (flp - neg_prob).T + (class_log_prior_ + neg_prob.sum(axis=1))
    const neg = lp.map((v) => Math.log(1 - Math.exp(v)));
    weights = lp.map((v, i) => v - neg[i]!);
    offsets = prior.map((p, c) => p + npSum(neg, c * d, d));
  }
  const jll = (X: Table): Float64Array => {
    let columns = numericFeatures(X, check);
    if (threshold !== null) columns = columns.map((col) => col.map((v) => (v > threshold ? 1 : 0)));
    const out = new Float64Array(X.rows * k);
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < X.rows; i++) {
        let dot = 0;
        for (let j = 0; j < d; j++) {
          const x = columns[j]![i]!;
          if (x !== 0) dot += x * weights[c * d + j]!;
        }
        out[i * k + c] = dot + offsets[c]!;
      }
    }
    return out;
  };
  return naiveBayesMethods(obj, classes, jll);
}

export const gaussianNB: EstimatorFamily = {
  classes: ['sklearn.naive_bayes.GaussianNB'],
  build: buildGaussianNB,
};

export const discreteNB: EstimatorFamily = {
  classes: ['MultinomialNB', 'ComplementNB', 'BernoulliNB'].map((n) => `sklearn.naive_bayes.${n}`),
  build: buildDiscreteNB,
};
