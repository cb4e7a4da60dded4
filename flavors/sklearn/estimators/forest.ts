/**
 * RandomForestClassifier/Regressor and ExtraTreesClassifier/Regressor (sklearn.ensemble).
 * A forest averages its trees in tree order (`all_proba += tree proba`, then `/= n_trees`),
 * exactly as sklearn's single-job path does, so ties and last bits come out the same.
 */
import { Attributes, asObject, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { logInPlace } from '../numeric.js';
import { float64Tensor } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { FittedTree, classesPerOutput, labelsFromScores, treeAcceptsNaN, treeInput, type TreeInput } from './decision-tree.js';

const MODULES = ['sklearn.ensemble._forest', 'sklearn.ensemble.forest'];
const CLASSIFIERS = ['RandomForestClassifier', 'ExtraTreesClassifier'];
const REGRESSORS = ['RandomForestRegressor', 'ExtraTreesRegressor'];

function buildForest(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const members = a.sequence('estimators_').map((e, i) => asObject(e, `${obj.name}.estimators_[${i}]`));
  if (members.length === 0) throw new TypeError(`${obj.name} has no trees`);
  const trees = members.map((m) => new FittedTree(m));
  const check = featureCheckOf(obj);
  // sklearn >= 1.4 lets NaN through when the forest's first tree takes it; before, never.
  const options = { float32: true, allowNaN: atLeast(versionOf(obj), 1, 4) && treeAcceptsNaN(members[0]!) };
  const nOutputs = a.int('n_outputs_');
  const inputOf = (X: Table): TreeInput => treeInput(numericFeatures(X, check, options), X.rows);

  if (REGRESSORS.includes(obj.name)) {
    return {
      name: obj.name,
      predict(X) {
        const input = inputOf(X);
        const sum = new Float64Array(X.rows * nOutputs);
        for (const t of trees) {
          const p = t.regression(input);
          for (let i = 0; i < sum.length; i++) sum[i]! += p[i]!;
        }
        for (let i = 0; i < sum.length; i++) sum[i]! /= trees.length;
        return float64Tensor(sum, nOutputs === 1 ? [X.rows] : [X.rows, nOutputs]);
      },
    };
  }

  const classes = classesPerOutput(a, nOutputs);
  /** predict_proba per output: the mean of the trees' probabilities. */
  const probaPerOutput = (X: Table): Float64Array[] => {
    const input = inputOf(X);
    return classes.map((c, k) => {
      const sum = new Float64Array(X.rows * c.size);
      for (const t of trees) t.addLeafValues(input, k, c.size, sum, true);
      for (let i = 0; i < sum.length; i++) sum[i]! /= trees.length;
      return sum;
    });
  };
  const n = classes[0]!.size;
  return {
    name: obj.name,
    predict: (X) => labelsFromScores(classes, probaPerOutput(X), X.rows),
    ...(nOutputs === 1
      ? {
          predictProba: (X: Table) => float64Tensor(probaPerOutput(X)[0]!, [X.rows, n]),
          predictLogProba: (X: Table) => float64Tensor(logInPlace(probaPerOutput(X)[0]!), [X.rows, n]),
        }
      : {}),
  };
}

export const forests: EstimatorFamily = {
  classes: MODULES.flatMap((m) => [...CLASSIFIERS, ...REGRESSORS].map((n) => `${m}.${n}`)),
  build: buildForest,
};
