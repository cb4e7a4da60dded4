/**
 * BaggingClassifier and BaggingRegressor (sklearn.ensemble._bagging): each member reads its own
 * columns (`estimators_features_`) of the input array. The classifier averages the members'
 * probabilities (or counts their votes when a member has no predict_proba), its members having
 * learnt the class indices 0..K-1; predict_log_proba log-adds the members' log-probabilities
 * (numpy's logaddexp) when they have them. The regressor averages the members' predictions.
 * Members are summed in order, as sklearn's single-job path does.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, asNumbers, asObject, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf } from '../features.js';
import { logInPlace } from '../numeric.js';
import { float64Tensor } from '../output.js';
import type { Table } from '../table.js';
import { answer, fromProbabilities, memberInput, numbersOf, requireMethod, selectColumns, type MemberMethod } from './members.js';

/** numpy's npy_logaddexp. */
export function logAddExp(x: number, y: number): number {
  if (x === y) return x + Math.LN2;
  const d = x - y;
  if (d > 0) return x + Math.log1p(Math.exp(-d));
  if (d <= 0) return y + Math.log1p(Math.exp(d));
  return d;
}

interface Member {
  readonly estimator: Estimator;
  readonly features: Float64Array;
  /** the class indices the member learnt (a bootstrap sample may miss some) */
  readonly classes: Float64Array | null;
}

function membersOf(obj: PyObject, ctx: BuildContext, classifier: boolean): Member[] {
  const a = new Attributes(obj);
  const estimators = a.sequence('estimators_');
  const features = a.sequence('estimators_features_');
  if (estimators.length === 0 || features.length !== estimators.length) throw new TypeError(`${obj.name} has ${estimators.length} estimators and ${features.length} feature sets`);
  const nFeatures = a.int('n_features_in_');
  return estimators.map((e, i) => {
    const cols = asNumbers(features[i], `${obj.name}.estimators_features_[${i}]`);
    if (cols.some((j) => !(j >= 0 && j < nFeatures && Number.isInteger(j)))) throw new TypeError(`${obj.name}.estimators_features_[${i}] is out of range`);
    const classes = classifier ? asObject(e, `${obj.name}.estimators_[${i}]`).get('classes_') : undefined;
    return {
      estimator: ctx.build(e, `${obj.name}.estimators_[${i}]`),
      features: cols,
      classes: classes === undefined ? null : asNumbers(classes, `${obj.name}.estimators_[${i}].classes_`),
    };
  });
}

function buildClassifier(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const members = membersOf(obj, ctx, true);
  const classes = a.array('classes_');
  const K = classes.size;
  const nEstimators = a.int('n_estimators');
  const check = featureCheckOf(obj);
  const byProba = members.map((m) => typeof m.estimator.predictProba === 'function');
  for (const m of members) requireMethod(m.estimator, 'predict', obj.name);
  /** The column of each of the member's outputs, when it learnt fewer than K classes. */
  const columnsOf = (m: Member, width: number): ArrayLike<number> | null => {
    if (width === K) return null;
    if (m.classes === null) throw new TypeError(`${obj.name}: a member learnt ${width} of ${K} classes and flowgate cannot read which`);
    return m.classes;
  };
  const input = (X: Table): Table => memberInput(X, check, { allowInfinite: true });

  const proba = (X: Table): Float64Array => {
    const Xa = input(X);
    const n = X.rows;
    const out = new Float64Array(n * K);
    members.forEach((m, e) => {
      const Xm = selectColumns(Xa, m.features);
      if (byProba[e]) {
        const p = numbersOf(answer(m.estimator, 'predictProba', Xm, obj.name), `${obj.name} member`);
        const width = p.length / n;
        const cols = columnsOf(m, width);
        for (let i = 0; i < n; i++) for (let c = 0; c < width; c++) out[i * K + (cols === null ? c : cols[c]!)]! += p[i * width + c]!;
      } else {
        const labels = numbersOf(answer(m.estimator, 'predict', Xm, obj.name), `${obj.name} member`);
        for (let i = 0; i < n; i++) out[i * K + labels[i]!]! += 1;
      }
    });
    for (let i = 0; i < out.length; i++) out[i]! /= nEstimators;
    return out;
  };

  const logProbaByMembers = members.every((m) => typeof m.estimator.predictLogProba === 'function');
  const logProba = (X: Table): Float64Array => {
    if (!logProbaByMembers) return logInPlace(proba(X));
    const Xa = input(X);
    const n = X.rows;
    const out = new Float64Array(n * K).fill(-Infinity);
    for (const m of members) {
      const lp = numbersOf(answer(m.estimator, 'predictLogProba', selectColumns(Xa, m.features), obj.name), `${obj.name} member`);
      const width = lp.length / n;
      const cols = columnsOf(m, width);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < width; c++) {
          const at = i * K + (cols === null ? c : cols[c]!);
          out[at] = logAddExp(out[at]!, lp[i * width + c]!);
        }
        // classes the member never saw: logaddexp(x, -inf)
        if (cols !== null) for (let c = 0; c < K; c++) if (!Array.prototype.includes.call(cols, c)) out[i * K + c] = logAddExp(out[i * K + c]!, -Infinity);
      }
    }
    const shift = Math.log(nEstimators);
    for (let i = 0; i < out.length; i++) out[i]! -= shift;
    return out;
  };

  const estimator: Estimator = {
    ...fromProbabilities(obj.name, classes, proba),
    predictLogProba: (X) => float64Tensor(logProba(X), [X.rows, K]),
  };
  if (members.every((m) => typeof m.estimator.decisionFunction === 'function')) {
    estimator.decisionFunction = (X) => meanAnswer(obj, members, 'decisionFunction', input(X), nEstimators);
  }
  return estimator;
}

function buildRegressor(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const members = membersOf(obj, ctx, false);
  for (const m of members) requireMethod(m.estimator, 'predict', obj.name);
  const nEstimators = a.int('n_estimators');
  const check = featureCheckOf(obj);
  return {
    name: obj.name,
    predict: (X) => meanAnswer(obj, members, 'predict', memberInput(X, check, { allowInfinite: true }), nEstimators),
  };
}

/** The members' answers on their columns, summed in order, divided by n_estimators. */
function meanAnswer(obj: PyObject, members: readonly Member[], method: MemberMethod, Xa: Table, nEstimators: number): Tensor {
  let sum: Float64Array | null = null;
  let shape: number[] = [Xa.rows];
  for (const m of members) {
    const t = answer(m.estimator, method, selectColumns(Xa, m.features), obj.name);
    const v = numbersOf(t, `${obj.name} member`);
    if (sum === null) {
      sum = Float64Array.from(v);
      shape = t.shape;
    } else {
      for (let i = 0; i < sum.length; i++) sum[i]! += v[i]!;
    }
  }
  for (let i = 0; i < sum!.length; i++) sum![i]! /= nEstimators;
  return float64Tensor(sum!, shape);
}

export const bagging: EstimatorFamily = {
  classes: qualified(['sklearn.ensemble._bagging', 'sklearn.ensemble.bagging'], ['BaggingClassifier', 'BaggingRegressor']),
  build: (obj, ctx) => (obj.name === 'BaggingClassifier' ? buildClassifier(obj, ctx) : buildRegressor(obj, ctx)),
};
