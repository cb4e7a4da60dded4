/**
 * VotingClassifier and VotingRegressor (sklearn.ensemble._voting). Members read the input as
 * given (they were fitted on it); 'drop' members are gone from estimators_ and their weights
 * skipped. Hard voting: numpy's bincount of the members' class indices (weighted), first
 * maximum; soft voting: np.average of the members' probabilities over members, summed in
 * member order. The regressor: np.average of the members' predictions.
 */
import { Attributes, asSequence, isNone, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { argmax } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { BUNCH, answer, fromProbabilities, numbersOf, requireMethod } from './members.js';

/** The weights of the members kept (`_weights_not_none`), or null for equal weights. */
function keptWeights(a: Attributes, members: number): Float64Array | null {
  const weights = a.raw('weights');
  if (isNone(weights)) return null;
  const named = a.sequence('estimators').map((e, i) => asSequence(e, `${a.obj.name}.estimators[${i}]`)[1]);
  const all = asSequence(weights, `${a.obj.name}.weights`).map(Number);
  const kept = Float64Array.from(all.filter((_, i) => named[i] !== 'drop'));
  if (kept.length !== members) throw new TypeError(`${a.obj.name} has ${kept.length} weights for ${members} members`);
  return kept;
}

/** np.average over members of [members][n] arrays (sequential sums, as numpy reduces an outer axis). */
function average(values: Float64Array[], weights: Float64Array | null): Float64Array {
  const out = new Float64Array(values[0]!.length);
  let scale = 0;
  values.forEach((v, m) => {
    const w = weights === null ? 1 : weights[m]!;
    scale += w;
    for (let i = 0; i < out.length; i++) out[i]! += weights === null ? v[i]! : v[i]! * w;
  });
  for (let i = 0; i < out.length; i++) out[i]! /= scale;
  return out;
}

function membersOf(obj: PyObject, ctx: BuildContext): Estimator[] {
  const members = new Attributes(obj).sequence('estimators_').map((e, i) => ctx.build(e, `${obj.name}.estimators_[${i}]`));
  if (members.length === 0) throw new TypeError(`${obj.name} has no fitted estimators`);
  return members;
}

function buildClassifier(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const members = membersOf(obj, ctx);
  const classes = new Attributes(a.object('le_')).array('classes_');
  const K = classes.size;
  const weights = keptWeights(a, members.length);
  const soft = a.string('voting') === 'soft';
  for (const m of members) requireMethod(m, soft ? 'predictProba' : 'predict', obj.name);
  const proba = (X: Table): Float64Array => average(members.map((m) => numbersOf(answer(m, 'predictProba', X, obj.name), `${obj.name} member`)), weights);

  const votesOf = (X: Table): Float64Array[] => members.map((m) => numbersOf(answer(m, 'predict', X, obj.name), `${obj.name} member`));
  if (!soft) {
    return {
      name: obj.name,
      // the members' class indices side by side
      transform: (X) => ({ rows: X.rows, names: null, columns: votesOf(X).map((values) => ({ dtype: 'int64', values })) }),
      predict(X) {
        const votes = votesOf(X);
        const idx = new Int32Array(X.rows);
        const counts = new Float64Array(K);
        for (let i = 0; i < X.rows; i++) {
          counts.fill(0);
          votes.forEach((v, m) => (counts[v[i]!]! += weights === null ? 1 : weights[m]!));
          idx[i] = argmax(counts, 0, K);
        }
        return takeLabels(classes, idx);
      },
    };
  }
  return {
    ...fromProbabilities(obj.name, classes, proba),
    transform(X) {
      // flatten_transform=True: the members' probabilities side by side
      if (a.raw('flatten_transform') === false) throw new Error(`${obj.name} with flatten_transform=False transforms into a 3-D array, which flowgate does not return`);
      const columns = members.flatMap((m) => {
        const p = numbersOf(answer(m, 'predictProba', X, obj.name), `${obj.name} member`);
        return Array.from({ length: K }, (_, c) => ({ dtype: 'float64' as const, values: Float64Array.from({ length: X.rows }, (_, i) => p[i * K + c]!) }));
      });
      return { rows: X.rows, names: null, columns };
    },
  };
}

function buildRegressor(obj: PyObject, ctx: BuildContext): Estimator {
  const members = membersOf(obj, ctx);
  for (const m of members) requireMethod(m, 'predict', obj.name);
  const weights = keptWeights(new Attributes(obj), members.length);
  const predictions = (X: Table): Float64Array[] => members.map((m) => numbersOf(answer(m, 'predict', X, obj.name), `${obj.name} member`));
  return {
    name: obj.name,
    predict: (X) => float64Tensor(average(predictions(X), weights), [X.rows]),
    transform: (X) => ({ rows: X.rows, names: null, columns: predictions(X).map((values) => ({ dtype: 'float64', values })) }),
  };
}

export const voting: EstimatorFamily = {
  classes: qualified(['sklearn.ensemble._voting', 'sklearn.ensemble.voting'], ['VotingClassifier', 'VotingRegressor']),
  parts: BUNCH,
  build: (obj, ctx) => (obj.name === 'VotingClassifier' ? buildClassifier(obj, ctx) : buildRegressor(obj, ctx)),
};
