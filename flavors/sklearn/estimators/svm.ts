/**
 * Kernel SVMs (sklearn.svm): SVC and NuSVC (one-vs-one votes; Platt probabilities when fitted
 * with probability=True), SVR and NuSVR. They predict from the state libsvm itself uses:
 * `_dual_coef_` and `_intercept_` (sklearn flips the public ones' signs for two classes),
 * `_gamma`, and support vectors that may be a CSR matrix when the model was fitted on sparse data.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, isNone, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures, type FeatureCheck } from '../features.js';
import { argmax, logInPlace } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { decisionValues, kernelValues, probabilities, regressionValue, vote, type Kernel, type SvmModel } from './libsvm.js';
import { SPARSE_CLASSES, denseMatrix } from './sparse-matrix.js';

const CLASSIFIERS = ['SVC', 'NuSVC'];
const REGRESSORS = ['SVR', 'NuSVR'];
const KERNELS: readonly Kernel[] = ['linear', 'poly', 'rbf', 'sigmoid'];

function kernelOf(obj: PyObject): Kernel {
  const kernel = obj.get('kernel');
  if (typeof kernel !== 'string') throw new TypeError(`${obj.name} with a callable kernel is not supported (supported kernels: ${KERNELS.join(', ')})`);
  if (!(KERNELS as readonly string[]).includes(kernel)) {
    throw new TypeError(`${obj.name} with kernel='${kernel}' is not supported (supported kernels: ${KERNELS.join(', ')})`);
  }
  return kernel as Kernel;
}

function modelOf(obj: PyObject, nClass: number): SvmModel {
  const a = new Attributes(obj);
  const sv = denseMatrix(a.required('support_vectors_'), `${obj.name}.support_vectors_`);
  const coef = denseMatrix(a.required('_dual_coef_'), `${obj.name}._dual_coef_`);
  const intercept = a.numbers('_intercept_');
  const nPairs = (nClass * (nClass - 1)) / 2;
  if (coef.cols !== sv.rows || coef.rows !== Math.max(1, nClass - 1) || intercept.length !== Math.max(1, nPairs)) {
    throw new TypeError(`${obj.name}: support vectors, dual coefficients and intercepts do not agree in size`);
  }
  const nSV = nClass > 1 ? Array.from(a.numbers(a.has('_n_support') ? '_n_support' : 'n_support_')) : [];
  if (nSV.reduce((s, n) => s + n, 0) !== (nClass > 1 ? sv.rows : 0)) throw new TypeError(`${obj.name}: n_support_ does not add up to the support vectors`);
  return {
    kernel: kernelOf(obj),
    gamma: a.number('_gamma'),
    coef0: a.number('coef0'),
    degree: a.int('degree'),
    sv: sv.values,
    nFeatures: sv.cols,
    l: sv.rows,
    svCoef: coef.values,
    rho: intercept.map((b) => -b),
    nSV,
    nClass,
  };
}

/** libsvm's per-row loop, with the kernel values and decision values buffers reused. */
function eachRow(m: SvmModel, X: Table, check: FeatureCheck, fn: (i: number, kvalue: Float64Array) => void): void {
  const columns = numericFeatures(X, check);
  const d = columns.length;
  const row = new Float64Array(d);
  const kvalue = new Float64Array(m.l);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < d; j++) row[j] = columns[j]![i]!;
    kernelValues(m, row, 0, kvalue);
    fn(i, kvalue);
  }
}

function featureCheck(obj: PyObject, nFeatures: number): FeatureCheck {
  const check = featureCheckOf(obj);
  return { ...check, nFeatures: check.nFeatures ?? nFeatures };
}

function buildRegressor(obj: PyObject): Estimator {
  const m = modelOf(obj, 1);
  const check = featureCheck(obj, m.nFeatures);
  return {
    name: obj.name,
    predict(X) {
      const out = new Float64Array(X.rows);
      eachRow(m, X, check, (i, kvalue) => (out[i] = regressionValue(m, kvalue)));
      return float64Tensor(out, [X.rows]);
    },
  };
}

/**
 * sklearn's `_ovr_decision_function(dec < 0, -dec, n_classes)`: votes plus the summed
 * confidences squashed into (-1/3, 1/3), which break_ties=True takes the argmax of.
 */
function ovrDecision(nClass: number, dec: Float64Array, out: Float64Array): void {
  const sums = new Float64Array(nClass);
  out.fill(0);
  let k = 0;
  for (let i = 0; i < nClass; i++) {
    for (let j = i + 1; j < nClass; j++) {
      const confidence = -dec[k]!;
      sums[i]! -= confidence;
      sums[j]! += confidence;
      if (dec[k]! < 0) out[j]!++;
      else out[i]!++;
      k++;
    }
  }
  for (let c = 0; c < nClass; c++) out[c]! += sums[c]! / (3 * (Math.abs(sums[c]!) + 1));
}

/** probA/probB: private since 0.24 (`_probA`), public before. */
function platt(a: Attributes, name: string, publicName: string): Float64Array {
  const v = a.raw(name) ?? a.raw(publicName);
  return isNone(v) ? new Float64Array(0) : a.numbers(a.has(name) ? name : publicName);
}

function buildClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const classes = a.array('classes_');
  const nClass = classes.size;
  const m = modelOf(obj, nClass);
  const check = featureCheck(obj, m.nFeatures);
  const nPairs = (nClass * (nClass - 1)) / 2;
  const breakTies = a.raw('break_ties') === true && a.raw('decision_function_shape') === 'ovr' && nClass > 2;

  const predict = (X: Table): Tensor => {
    const idx = new Int32Array(X.rows);
    const dec = new Float64Array(nPairs);
    const ovr = new Float64Array(nClass);
    eachRow(m, X, check, (i, kvalue) => {
      decisionValues(m, kvalue, dec);
      if (breakTies) {
        ovrDecision(nClass, dec, ovr);
        idx[i] = argmax(ovr, 0, nClass);
      } else {
        idx[i] = vote(nClass, dec);
      }
    });
    return takeLabels(classes, idx);
  };

  // decision_function: -dec for two classes; with decision_function_shape='ovr' the votes and confidences
  const ovrShape = a.raw('decision_function_shape') === 'ovr' && nClass > 2;
  const width = nClass === 2 ? 1 : ovrShape ? nClass : nPairs;
  const decisionFunction = (X: Table): Tensor => {
    const out = new Float64Array(X.rows * width);
    const dec = new Float64Array(nPairs);
    const ovr = new Float64Array(nClass);
    eachRow(m, X, check, (i, kvalue) => {
      decisionValues(m, kvalue, dec);
      if (nClass === 2) out[i] = -dec[0]!;
      else if (ovrShape) {
        ovrDecision(nClass, dec, ovr);
        out.set(ovr, i * width);
      } else out.set(dec, i * width);
    });
    return float64Tensor(out, nClass === 2 ? [X.rows] : [X.rows, width]);
  };

  // probability=True fits Platt's sigmoids (probA/probB); without them sklearn has no predict_proba.
  const A = platt(a, '_probA', 'probA_');
  const B = platt(a, '_probB', 'probB_');
  if (a.raw('probability') !== true || A.length !== nPairs || B.length !== nPairs) return { name: obj.name, predict, decisionFunction };

  const proba = (X: Table): Float64Array => {
    const out = new Float64Array(X.rows * nClass);
    const dec = new Float64Array(nPairs);
    const p = new Float64Array(nClass);
    eachRow(m, X, check, (i, kvalue) => {
      decisionValues(m, kvalue, dec);
      probabilities(nClass, dec, A, B, p);
      out.set(p, i * nClass);
    });
    return out;
  };
  return {
    name: obj.name,
    predict,
    decisionFunction,
    predictProba: (X) => float64Tensor(proba(X), [X.rows, nClass]),
    predictLogProba: (X) => float64Tensor(logInPlace(proba(X)), [X.rows, nClass]),
  };
}

function buildSvm(obj: PyObject): Estimator {
  kernelOf(obj);
  return REGRESSORS.includes(obj.name) ? buildRegressor(obj) : buildClassifier(obj);
}

export const kernelSvms: EstimatorFamily = {
  classes: qualified(['sklearn.svm._classes', 'sklearn.svm.classes'], [...CLASSIFIERS, ...REGRESSORS]),
  parts: SPARSE_CLASSES,
  build: buildSvm,
};
