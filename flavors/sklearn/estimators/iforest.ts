/**
 * IsolationForest (sklearn.ensemble._iforest). A row's depth in each tree is its decision
 * path's length plus the average path length of the samples left in its leaf, minus 1;
 * score_samples = -2^(-depths / (n_trees * c(max_samples))), decision_function subtracts
 * offset_, predict is -1 where that is negative and 1 elsewhere. Trees read float32 X.
 */
import { Attributes, asNumbers, asObject, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { float64Tensor } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { rowMajor, treeOf, type TreeModel } from './tree-model.js';

const EULER_GAMMA = 0.5772156649015329;

/** sklearn's _average_path_length of one leaf size. */
function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2.0 * (Math.log(n - 1.0) + EULER_GAMMA) - (2.0 * (n - 1.0)) / n;
}

interface IsolationTree {
  readonly tree: TreeModel;
  /** per node: nodes on the path from the root (root = 1) + c(n_node_samples) - 1 */
  readonly depthAt: Float64Array;
  /** the columns it reads, or null for all */
  readonly features: Float64Array | null;
}

function isolationTree(member: PyObject, features: Float64Array | null): IsolationTree {
  const tree = treeOf(member);
  const samples = new Attributes(new Attributes(member).object('tree_')).array('nodes').field('n_node_samples').numbers();
  const n = tree.left.length;
  const pathLength = new Float64Array(n);
  pathLength[0] = 1;
  // children always follow their parent in sklearn's node array
  for (let i = 0; i < n; i++) {
    if (tree.left[i]! >= 0) {
      pathLength[tree.left[i]!] = pathLength[i]! + 1;
      pathLength[tree.right[i]!] = pathLength[i]! + 1;
    }
  }
  const depthAt = Float64Array.from(pathLength, (p, i) => p + averagePathLength(samples[i]!) - 1.0);
  return { tree, depthAt, features };
}

function buildIsolationForest(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const check = featureCheckOf(obj);
  const nFeatures = a.int('n_features_in_');
  const maxFeatures = a.int('_max_features');
  const featureSets = a.sequence('estimators_features_');
  const trees = a.sequence('estimators_').map((e, i) => {
    const features = maxFeatures === nFeatures ? null : asNumbers(featureSets[i], `${obj.name}.estimators_features_[${i}]`);
    if (features !== null && features.some((j) => !(j >= 0 && j < nFeatures))) throw new TypeError(`${obj.name}.estimators_features_[${i}] is out of range`);
    return isolationTree(asObject(e, `${obj.name}.estimators_[${i}]`), features);
  });
  if (trees.length === 0) throw new TypeError(`${obj.name} has no trees`);
  const maxSamples = a.number(a.has('_max_samples') ? '_max_samples' : 'max_samples_');
  const denominator = trees.length * averagePathLength(maxSamples);
  const offset = a.number('offset_');
  // 1.9 validates without the finiteness check and lets NaN follow each tree's missing-value branch
  const options = { float32: true, allowInfinite: atLeast(versionOf(obj), 1, 9) };

  const decision = (X: Table): Float64Array => {
    const columns = numericFeatures(X, check, options);
    const all = rowMajor(columns, X.rows);
    const depths = new Float64Array(X.rows);
    for (const t of trees) {
      const input = t.features === null ? all : rowMajor(Array.from(t.features, (j) => columns[j]!), X.rows);
      const width = t.features === null ? columns.length : t.features.length;
      const leaves = t.tree.apply(input, width, X.rows);
      for (let i = 0; i < X.rows; i++) depths[i]! += t.depthAt[leaves[i]!]!;
    }
    return depths.map((d) => -(2 ** -(denominator !== 0 ? d / denominator : 1)) - offset);
  };
  return {
    name: obj.name,
    decisionFunction: (X) => float64Tensor(decision(X), [X.rows]),
    predict(X) {
      const d = decision(X);
      return { dtype: 'int64', shape: [X.rows], values: d.map((v) => (v < 0 ? -1 : 1)) };
    },
  };
}

export const isolationForest: EstimatorFamily = {
  classes: qualified(['sklearn.ensemble._iforest', 'sklearn.ensemble.iforest'], ['IsolationForest']),
  build: buildIsolationForest,
};
