/**
 * CalibratedClassifierCV (sklearn.calibration): the mean of its calibrated classifiers'
 * probabilities. Each one reads its estimator's decision_function (else predict_proba; for two
 * classes the positive column), maps every class's score through its calibrator (a sigmoid
 * `expit(-(a*T + b))`, or an IsotonicRegression: clip, then scipy's linear interp1d), and
 * normalises: `1 - p` for two classes, else divides by the row sum (uniform where it is 0).
 * Temperature scaling (1.8+) scales all the logits at once instead.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, PyObject, asObject, asSequence, type NDArray, type PyValue } from '../../../src/pickle/index.js';
import { qualified, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { expit, npSum, softmaxRows } from '../numeric.js';
import type { Table } from '../table.js';
import { pythonEquals } from './table-values.js';
import { answer, fromProbabilities, numbersOf, requireMethod, type MemberMethod } from './members.js';

type Calibrator = (T: Float64Array) => Float64Array;

/** IsotonicRegression.predict with out_of_bounds 'clip' or 'nan', as scipy's interp1d computes it. */
function isotonic(obj: PyObject): Calibrator {
  const a = new Attributes(obj);
  const x = a.numbers('X_thresholds_');
  const y = a.numbers('y_thresholds_');
  const bounds = String(a.raw('out_of_bounds') ?? 'nan');
  if (bounds === 'raise') throw new TypeError("IsotonicRegression with out_of_bounds='raise' is not supported");
  const lo = a.number('X_min_');
  const hi = a.number('X_max_');
  return (T) =>
    T.map((t) => {
      if (bounds === 'clip') t = Math.min(Math.max(t, lo), hi);
      if (y.length === 1) return y[0]!;
      if (Number.isNaN(t) || t < x[0]! || t > x[x.length - 1]!) return NaN;
      // searchsorted(x, t, 'left') clipped to [1, n-1]
      let k = 0;
      let end = x.length;
      while (k < end) {
        const mid = (k + end) >> 1;
        if (x[mid]! < t) k = mid + 1;
        else end = mid;
      }
      k = Math.min(Math.max(k, 1), x.length - 1);
      const slope = (y[k]! - y[k - 1]!) / (x[k]! - x[k - 1]!);
      return slope * (t - x[k - 1]!) + y[k - 1]!;
    });
}

function calibratorOf(v: PyValue, what: string): Calibrator {
  const obj = asObject(v, what);
  if (obj.name === 'IsotonicRegression') return isotonic(obj);
  if (obj.name === '_SigmoidCalibration') {
    const a = new Attributes(obj);
    const A = a.number('a_');
    const B = a.number('b_');
    return (T) => T.map((t) => expit(-(A * t + B)));
  }
  throw new TypeError(`${what}: calibrator ${obj.className} is not supported`);
}

/** The last step of a Pipeline (where classes_ and decision_function live), else the estimator. */
function finalStep(obj: PyObject): PyObject {
  if (obj.name !== 'Pipeline') return obj;
  const steps = asSequence(obj.get('steps'), 'Pipeline.steps');
  const last = asSequence(steps[steps.length - 1], 'Pipeline step')[1];
  return last instanceof PyObject ? finalStep(last) : obj;
}

interface Calibrated {
  readonly estimator: Estimator;
  readonly method: MemberMethod;
  /** the class index (in classes_) of each of the estimator's score columns */
  readonly columns: number[];
  readonly calibrators: Calibrator[];
  /** beta_ of a temperature-scaling calibrator; null for per-class calibrators */
  readonly temperature: number | null;
}

function calibrated(v: PyValue, i: number, classes: NDArray, ctx: BuildContext): Calibrated {
  const what = `CalibratedClassifierCV.calibrated_classifiers_[${i}]`;
  const a = new Attributes(asObject(v, what));
  const method = String(a.raw('method') ?? 'sigmoid');
  if (method !== 'sigmoid' && method !== 'isotonic' && method !== 'temperature') throw new TypeError(`CalibratedClassifierCV with method='${method}' is not supported`);
  const inner = asObject(a.raw('estimator') ?? a.raw('base_estimator'), `${what}.estimator`);
  const estimator = ctx.build(inner, `${what}.estimator`);
  const last = finalStep(inner);
  // sklearn reads decision_function where the estimator has one (flowgate's estimators have it exactly where sklearn's do)
  const response: MemberMethod = typeof estimator.decisionFunction === 'function' ? 'decisionFunction' : 'predictProba';
  requireMethod(estimator, response, 'CalibratedClassifierCV');
  const labels = classes.items();
  const own = asSequence(last.get('classes_'), `${what}.estimator.classes_`);
  const columns = own.map((label) => {
    const at = labels.findIndex((l) => pythonEquals(l, label));
    if (at < 0) throw new TypeError(`${what}: its estimator's class ${String(label)} is not among classes_`);
    return at;
  });
  const fitted = asSequence(a.required('calibrators'), `${what}.calibrators`);
  if (method === 'temperature') {
    const beta = new Attributes(asObject(fitted[0], `${what}.calibrators[0]`)).number('beta_');
    return { estimator, method: response, columns, calibrators: [], temperature: beta };
  }
  const calibrators = fitted.map((c, k) => calibratorOf(c, `${what}.calibrators[${k}]`));
  return { estimator, method: response, columns, calibrators, temperature: null };
}

/**
 * Temperature scaling (sklearn >= 1.8): softmax(beta * logits), the logits being the decision
 * values (a single column becomes [-x, x]) or, when the whole batch looks like probabilities
 * (all in [0, 1], rows summing to 1 by np.isclose), log(p + 1e-12).
 */
function temperatureProba(values: Float64Array, width: number, n: number, K: number, fromProba: boolean, beta: number): Float64Array {
  let logits: Float64Array;
  let k = width;
  if (width === 1 && fromProba && K === 2) {
    logits = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      logits[2 * i] = 1 - values[i]!;
      logits[2 * i + 1] = values[i]!;
    }
    k = 2;
  } else if (width === 1) {
    logits = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      logits[2 * i] = -values[i]!;
      logits[2 * i + 1] = values[i]!;
    }
    k = 2;
  } else {
    logits = Float64Array.from(values);
  }
  if (width > 1 || (fromProba && K === 2)) {
    const unit = logits.every((p) => p >= 0 && p <= 1);
    let sumsToOne = true;
    for (let i = 0; i < n && sumsToOne; i++) sumsToOne = Math.abs(npSum(logits, i * k, k) - 1) <= 1e-8 + 1e-5;
    if (unit && sumsToOne) for (let i = 0; i < logits.length; i++) logits[i] = Math.log(logits[i]! + 1e-12);
  }
  for (let i = 0; i < logits.length; i++) logits[i]! *= beta;
  return softmaxRows(logits, k);
}

function probaOf(c: Calibrated, X: Table, K: number): Float64Array {
  const n = X.rows;
  const t: Tensor = answer(c.estimator, c.method, X, 'CalibratedClassifierCV');
  const values = numbersOf(t, 'CalibratedClassifierCV estimator');
  const width = t.shape.length === 1 ? 1 : t.shape[1]!;
  // predict_proba for two classes: the positive column only
  const from = c.method === 'predictProba' && K === 2 ? 1 : 0;
  if (c.temperature !== null) {
    const scores = from === 1 ? Float64Array.from({ length: n }, (_, i) => values[i * width + 1]!) : values;
    const proba = temperatureProba(scores, from === 1 ? 1 : width, n, K, c.method === 'predictProba', c.temperature);
    for (let i = 0; i < proba.length; i++) if (proba[i]! > 1 && proba[i]! <= 1 + 1e-5) proba[i] = 1;
    return proba;
  }
  const proba = new Float64Array(n * K);
  c.calibrators.forEach((calibrate, k) => {
    const col = from + k;
    if (col >= width) return;
    const scores = Float64Array.from({ length: n }, (_, i) => values[i * width + col]!);
    const p = calibrate(scores);
    const target = K === 2 ? c.columns[k]! + 1 : c.columns[k]!;
    for (let i = 0; i < n; i++) proba[i * K + target] = p[i]!;
  });
  for (let i = 0; i < n; i++) {
    const row = i * K;
    if (K === 2) proba[row] = 1 - proba[row + 1]!;
    else {
      const sum = npSum(proba, row, K);
      for (let j = 0; j < K; j++) proba[row + j] = sum !== 0 ? proba[row + j]! / sum : 1 / K;
    }
    for (let j = 0; j < K; j++) if (proba[row + j]! > 1 && proba[row + j]! <= 1 + 1e-5) proba[row + j] = 1;
  }
  return proba;
}

function buildCalibratedClassifier(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const classes = a.array('classes_');
  const K = classes.size;
  const members = a.sequence('calibrated_classifiers_').map((v, i) => calibrated(v, i, classes, ctx));
  if (members.length === 0) throw new TypeError('CalibratedClassifierCV has no calibrated classifiers');
  const proba = (X: Table): Float64Array => {
    const mean = new Float64Array(X.rows * K);
    for (const m of members) {
      const p = probaOf(m, X, K);
      for (let i = 0; i < mean.length; i++) mean[i]! += p[i]!;
    }
    for (let i = 0; i < mean.length; i++) mean[i]! /= members.length;
    return mean;
  };
  return fromProbabilities(obj.name, classes, proba);
}

export const calibratedClassifiers: EstimatorFamily = {
  classes: ['sklearn.calibration.CalibratedClassifierCV'],
  parts: ['sklearn.calibration._CalibratedClassifier', 'sklearn.calibration._SigmoidCalibration', 'sklearn.calibration._TemperatureScaling', ...qualified(['sklearn.isotonic', 'sklearn._isotonic'], ['IsotonicRegression'])],
  build: buildCalibratedClassifier,
};
