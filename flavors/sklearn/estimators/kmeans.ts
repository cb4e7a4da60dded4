/**
 * KMeans and MiniBatchKMeans (sklearn.cluster). predict: the nearest of
 * cluster_centers_ by `||c||^2 - 2 x.c` (what the Lloyd kernel compares), the first on ties,
 * as int32 labels; the input dtype must be the centers' (sklearn's Cython kernel refuses
 * float32 rows against float64 centers). transform: euclidean_distances to every center
 * (`-2 x.c + ||x||^2 + ||c||^2`, clipped at 0, square-rooted; float32 pairs computed in float64).
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { arrayDType } from './table-values.js';
import type { Table } from '../table.js';

function buildKMeans(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const centers = a.array('cluster_centers_');
  if (centers.ndim !== 2) throw new TypeError(`${obj.name}.cluster_centers_ is not a matrix`);
  const [k, d] = centers.shape as [number, number];
  const c = centers.numbers();
  const centers32 = centers.dtype.itemsize === 4;
  const check = featureCheckOf(obj);
  const norms = new Float64Array(k);
  for (let j = 0; j < k; j++) for (let f = 0; f < d; f++) norms[j]! += c[j * d + f]! * c[j * d + f]!;

  /** The validated rows and whether numpy keeps them float32. */
  const rows = (X: Table): { columns: Float64Array[]; float32: boolean } => {
    const columns = numericFeatures(X, { ...check, nFeatures: check.nFeatures ?? d });
    return { columns, float32: arrayDType(X.columns) === 'float32' };
  };
  const dot = (columns: Float64Array[], i: number, j: number): number => {
    let s = 0;
    for (let f = 0; f < d; f++) s += columns[f]![i]! * c[j * d + f]!;
    return s;
  };

  return {
    name: obj.name,
    predict(X) {
      const { columns, float32 } = rows(X);
      if (float32 !== centers32) {
        throw new Error(`Buffer dtype mismatch, expected '${centers32 ? 'float' : 'double'}' but got '${float32 ? 'float' : 'double'}'`);
      }
      const labels = new Float64Array(X.rows);
      for (let i = 0; i < X.rows; i++) {
        let best = 0;
        let bestDistance = Infinity;
        for (let j = 0; j < k; j++) {
          const distance = norms[j]! + -2 * dot(columns, i, j);
          if (j === 0 || distance < bestDistance) {
            best = j;
            bestDistance = distance;
          }
        }
        labels[i] = best;
      }
      return { dtype: 'int32', shape: [X.rows], values: labels };
    },
    transform(X) {
      const { columns, float32 } = rows(X);
      const single = float32 && centers32;
      const out = Array.from({ length: k }, () => new Float64Array(X.rows));
      for (let i = 0; i < X.rows; i++) {
        let xx = 0;
        for (let f = 0; f < d; f++) xx += columns[f]![i]! * columns[f]![i]!;
        for (let j = 0; j < k; j++) {
          let distance = -2 * dot(columns, i, j);
          distance += xx;
          distance += norms[j]!;
          if (single) distance = Math.fround(distance);
          const v = Math.sqrt(Math.max(distance, 0));
          out[j]![i] = single ? Math.fround(v) : v;
        }
      }
      return { rows: X.rows, names: null, columns: out.map((values) => ({ dtype: single ? 'float32' : 'float64', values })) };
    },
  };
}

export const kMeans: EstimatorFamily = {
  classes: qualified(['sklearn.cluster._kmeans', 'sklearn.cluster.k_means_'], ['KMeans', 'MiniBatchKMeans']),
  build: buildKMeans,
};
