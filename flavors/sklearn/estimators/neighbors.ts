/**
 * KNeighborsClassifier and KNeighborsRegressor (sklearn.neighbors): uniform or inverse-distance
 * weights; euclidean, manhattan, chebyshev and minkowski-p metrics; neighbours found as the
 * fitted algorithm finds them (neighbor-search.ts). Votes follow scipy's mode and sklearn's
 * weighted_mode (the smallest class wins a tie); sums follow numpy's order.
 */
import { availableParallelism } from 'node:os';
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, NDArray, PyDict, PyObject, PyTuple, isNone, type PyValue } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures, type FeatureCheck } from '../features.js';
import { argmax, npSum } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import type { Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { bruteScan, kneighbors, neighborSearch, type Metric, type NeighborSearch, type ScanRules, type TreeArrays } from './neighbor-search.js';
import { denseMatrix } from './sparse-matrix.js';

const METRICS: Record<string, Metric['kind']> = {
  euclidean: 'euclidean', l2: 'euclidean',
  manhattan: 'manhattan', cityblock: 'manhattan', l1: 'manhattan',
  chebyshev: 'chebyshev', infinity: 'chebyshev',
  minkowski: 'minkowski',
};

function metricOf(obj: PyObject): Metric {
  const a = new Attributes(obj);
  const name = a.raw('effective_metric_');
  const kind = typeof name === 'string' ? METRICS[name] : undefined;
  if (kind === undefined) {
    const shown = typeof name === 'string' ? `'${name}'` : 'a callable';
    throw new TypeError(`${obj.name} with metric ${shown} is not supported (supported: euclidean, manhattan, chebyshev, minkowski)`);
  }
  const params = a.raw('effective_metric_params_');
  const param = (key: string): PyValue | undefined => (params instanceof PyDict ? params.get(key) : undefined);
  if (!isNone(param('w'))) throw new TypeError(`${obj.name} with minkowski weights (metric_params w) is not supported`);
  if (kind === 'euclidean') return { kind, p: 2 };
  if (kind === 'manhattan') return { kind, p: 1 };
  if (kind === 'chebyshev') return { kind, p: Infinity };
  const p = Number(param('p') ?? a.raw('p') ?? 2);
  if (!(p >= 1)) throw new TypeError(`${obj.name} with minkowski p=${p} is not supported (p >= 1)`);
  return { kind, p };
}

/** The pickled KDTree/BallTree (`newObj(KDTree)` + BinaryTree state) as its node arrays. */
function treeOf(obj: PyObject, kind: 'kd' | 'ball'): TreeArrays {
  const tree = obj.get('_tree');
  const state = tree instanceof PyObject ? tree.state : undefined;
  if (!(state instanceof PyTuple) || state.length < 4) throw new TypeError(`${obj.name}._tree is not a fitted ${kind === 'kd' ? 'KDTree' : 'BallTree'}`);
  const [, idxArray, nodeData, nodeBounds] = state.items;
  if (!(idxArray instanceof NDArray) || !(nodeData instanceof NDArray) || !(nodeBounds instanceof NDArray) || !nodeData.hasField('idx_start')) {
    throw new TypeError(`${obj.name}._tree has an unexpected layout`);
  }
  return {
    kind,
    idxArray: idxArray.numbers(),
    idxStart: nodeData.field('idx_start').numbers(),
    idxEnd: nodeData.field('idx_end').numbers(),
    isLeaf: nodeData.field('is_leaf').numbers(),
    radius: nodeData.field('radius').numbers(),
    nodeBounds: nodeBounds.numbers(),
    nNodes: nodeData.size,
  };
}

function searchOf(obj: PyObject): NeighborSearch {
  const a = new Attributes(obj);
  const method = a.string('_fit_method');
  if (method !== 'brute' && method !== 'kd_tree' && method !== 'ball_tree') throw new TypeError(`${obj.name} fitted with algorithm '${method}' is not supported`);
  const X = denseMatrix(a.required('_fit_X'), `${obj.name}._fit_X`);
  const tree = method === 'brute' ? null : treeOf(obj, method === 'kd_tree' ? 'kd' : 'ball');
  return neighborSearch(metricOf(obj), X.values, X.rows, X.cols, tree);
}

type Weights = 'uniform' | 'distance';

function weightsOf(obj: PyObject): Weights {
  const w = obj.get('weights') ?? 'uniform';
  if (w === null || w === 'uniform') return 'uniform';
  if (w === 'distance') return 'distance';
  throw new TypeError(`${obj.name} with weights=${typeof w === 'string' ? `'${w}'` : 'a callable'} is not supported (supported: uniform, distance)`);
}

interface Neighbors {
  /** [rows, k] indices into the training rows */
  readonly ind: Int32Array;
  /** [rows, k] weights (null for uniform) */
  readonly weights: Float64Array | null;
}

interface Fitted {
  readonly s: NeighborSearch;
  readonly k: number;
  readonly weights: Weights;
  readonly check: FeatureCheck;
  readonly rules: ScanRules;
  /** uniform votes of an ndarray go through ArgKminClassMode (scikit-learn >= 1.3, non-euclidean metric) */
  readonly classMode: boolean;
}

/**
 * Each row's neighbours and, for distance weights, `1/dist` (a row touching a training point
 * weighs only those at distance 0). `viaClassMode`: the call sklearn routes to ArgKminClassMode.
 */
function neighborsOf(f: Fitted, X: Table, viaClassMode = false): Neighbors {
  const { s, k } = f;
  const columns = numericFeatures(X, f.check);
  // ArgKminClassMode takes only a C-ordered float64 ndarray (a DataFrame goes through kneighbors)
  const classMode = viaClassMode && f.classMode && X.names === null && X.columns.every((c) => c.dtype === 'float64');
  const scan = bruteScan(s, X.rows, f.rules, classMode);
  const pt = new Float64Array(s.d);
  const dist = new Float64Array(k);
  const ind = new Int32Array(k);
  const allInd = new Int32Array(X.rows * k);
  const w = f.weights === 'distance' ? new Float64Array(X.rows * k) : null;
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < s.d; j++) pt[j] = columns[j]![i]!;
    kneighbors(s, pt, scan, dist, ind);
    allInd.set(ind, i * k);
    if (w !== null) {
      const exact = dist.some((d) => d === 0);
      for (let j = 0; j < k; j++) w[i * k + j] = exact ? (dist[j] === 0 ? 1 : 0) : 1 / dist[j]!;
    }
  }
  return { ind: allInd, weights: w };
}

function fittedOf(obj: PyObject): Fitted {
  const a = new Attributes(obj);
  const s = searchOf(obj);
  const k = a.int('n_neighbors');
  if (k < 1 || k > s.n) throw new TypeError(`${obj.name}: n_neighbors = ${k} needs 1..${s.n} training samples`);
  const check = featureCheckOf(obj);
  const version = versionOf(obj);
  const weights = weightsOf(obj);
  // sklearn's _adjusted_metric: minkowski with p=2 is euclidean, which ArgKminClassMode leaves to kneighbors
  const metric = a.raw('metric');
  const euclidean = metric === 'euclidean' || (metric === 'minkowski' && Number(a.raw('p') ?? 2) === 2);
  return {
    s,
    k,
    weights,
    check: { ...check, nFeatures: check.nFeatures ?? s.d },
    rules: { threads: availableParallelism(), argKmin: atLeast(version, 1, 1), fewerRowsRule: atLeast(version, 1, 2) },
    classMode: atLeast(version, 1, 3) && weights === 'uniform' && s.tree === null && !euclidean,
  };
}

function buildRegressor(obj: PyObject): Estimator {
  const f = fittedOf(obj);
  const { k } = f;
  const y = new Attributes(obj).array('_y');
  const outputs = y.ndim === 1 ? 1 : y.shape[1]!;
  const yv = y.numbers();
  return {
    name: obj.name,
    predict(X) {
      const { ind, weights: w } = neighborsOf(f, X);
      const out = new Float64Array(X.rows * outputs);
      const terms = new Float64Array(k);
      for (let i = 0; i < X.rows; i++) {
        const denom = w === null ? k : npSum(w, i * k, k);
        for (let o = 0; o < outputs; o++) {
          let num: number;
          if (w === null && outputs > 1) {
            // np.mean over axis 1 of [n, k, outputs]: neighbours added in order
            num = 0;
            for (let j = 0; j < k; j++) num += yv[ind[i * k + j]! * outputs + o]!;
          } else {
            for (let j = 0; j < k; j++) terms[j] = yv[ind[i * k + j]! * outputs + o]! * (w === null ? 1 : w[i * k + j]!);
            num = npSum(terms, 0, k);
          }
          out[i * outputs + o] = num / denom;
        }
      }
      return float64Tensor(out, outputs === 1 && y.ndim === 1 ? [X.rows] : [X.rows, outputs]);
    },
  };
}

/** Per output: the classes and the training rows' class indices. */
function classOutputs(obj: PyObject): { classes: NDArray[]; y: Float64Array; outputs: number } {
  const a = new Attributes(obj);
  const y = a.array('_y');
  if (a.raw('outputs_2d_') === true) {
    const classes = a.sequence('classes_').map((c, i) => {
      if (!(c instanceof NDArray)) throw new TypeError(`${obj.name}.classes_[${i}] is not an array`);
      return c;
    });
    return { classes, y: y.numbers(), outputs: classes.length };
  }
  return { classes: [a.array('classes_')], y: y.numbers(), outputs: 1 };
}

function buildClassifier(obj: PyObject): Estimator {
  const f = fittedOf(obj);
  const { k } = f;
  const { classes, y, outputs } = classOutputs(obj);

  /** Weighted class scores per row for output o: counts (uniform) or summed weights in neighbour order. */
  const scores = (nb: Neighbors, rows: number, o: number): Float64Array => {
    const n = classes[o]!.size;
    const out = new Float64Array(rows * n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < k; j++) {
        const c = y[nb.ind[i * k + j]! * outputs + o]!;
        out[i * n + c]! += nb.weights === null ? 1 : nb.weights[i * k + j]!;
      }
    }
    return out;
  };

  /** sklearn's weighted_mode: per class, numpy's sum of the weights of the neighbours of that class. */
  const weightedMode = (nb: Neighbors, rows: number, o: number): Int32Array => {
    const n = classes[o]!.size;
    const template = new Float64Array(k);
    const idx = new Int32Array(rows);
    const sums = new Float64Array(n);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < n; c++) {
        for (let j = 0; j < k; j++) template[j] = y[nb.ind[i * k + j]! * outputs + o] === c ? nb.weights![i * k + j]! : 0;
        sums[c] = npSum(template, 0, k);
      }
      idx[i] = argmax(sums, 0, n);
    }
    return idx;
  };

  const predict = (X: Table): Tensor => {
    const nb = neighborsOf(f, X, outputs === 1);
    const perOutput = classes.map((c, o) => {
      if (nb.weights !== null) return weightedMode(nb, X.rows, o);
      const counts = scores(nb, X.rows, o);
      return Int32Array.from({ length: X.rows }, (_, i) => argmax(counts, i * c.size, c.size));
    });
    if (outputs === 1) return takeLabels(classes[0]!, perOutput[0]!);
    // y_pred has classes_[0]'s dtype, one column per output
    const labels = perOutput.map((idx, o) => takeLabels(classes[o]!, idx));
    const first = labels[0]!;
    const values = first.values instanceof Float64Array ? new Float64Array(X.rows * outputs) : new Array<unknown>(X.rows * outputs);
    for (let i = 0; i < X.rows; i++) {
      for (let o = 0; o < outputs; o++) values[i * outputs + o] = labels[o]!.values[i];
    }
    return { dtype: first.dtype, shape: [X.rows, outputs], values };
  };

  if (outputs > 1) return { name: obj.name, predict };
  const n = classes[0]!.size;
  return {
    name: obj.name,
    predict,
    predictProba(X) {
      const p = scores(neighborsOf(f, X, true), X.rows, 0);
      for (let i = 0; i < X.rows; i++) {
        const total = npSum(p, i * n, n);
        for (let c = 0; c < n; c++) p[i * n + c]! /= total;
      }
      return float64Tensor(p, [X.rows, n]);
    },
  };
}

const TREE_MODULES = ['sklearn.neighbors._kd_tree', 'sklearn.neighbors._ball_tree', 'sklearn.neighbors.kd_tree', 'sklearn.neighbors.ball_tree'];
const METRIC_MODULES = ['sklearn.metrics._dist_metrics', 'sklearn.neighbors._dist_metrics', 'sklearn.neighbors.dist_metrics'];
const METRIC_CLASSES = ['EuclideanDistance', 'ManhattanDistance', 'ChebyshevDistance', 'MinkowskiDistance'];

export const kNeighbors: EstimatorFamily = {
  classes: [
    'sklearn.neighbors._classification.KNeighborsClassifier',
    'sklearn.neighbors.classification.KNeighborsClassifier',
    'sklearn.neighbors._regression.KNeighborsRegressor',
    'sklearn.neighbors.regression.KNeighborsRegressor',
  ],
  // The fitted tree and its DistanceMetric are rebuilt as data (Cython `newObj(cls)` + state); predict reads the arrays.
  parts: [
    ...qualified(TREE_MODULES, ['newObj', 'KDTree', 'BallTree', 'KDTree64', 'BallTree64']),
    ...qualified(METRIC_MODULES, ['newObj', ...METRIC_CLASSES, ...METRIC_CLASSES.map((c) => `${c}64`)]),
  ],
  build: (obj) => (obj.name === 'KNeighborsRegressor' ? buildRegressor(obj) : buildClassifier(obj)),
};
