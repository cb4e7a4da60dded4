/**
 * PCA (sklearn.decomposition): projection on `components_`, whitened by √explained_variance_
 * when fitted with whiten=True. Before scikit-learn 1.4 X is centred first, `(X - mean_) @ C.T`;
 * since, `X @ C.T - mean_ @ C.T` (and since 1.5 whitening clips the scale at eps). Dot products
 * sum features in order (numpy's BLAS may group them differently by an ulp).
 */
import { Attributes, isNone, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { EPS32, EPS64 } from '../numeric.js';
import { isFloat32Table, numericTable, type Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { isPandasOutput } from './pandas-output.js';

function buildPCA(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const components = a.array('components_');
  const [k, d] = components.shape as [number, number];
  const C = components.numbers();
  const mean = isNone(a.raw('mean_')) ? new Float64Array(d) : a.numbers('mean_');
  const version = versionOf(obj);
  const centreFirst = !atLeast(version, 1, 4);
  const float32Model = components.dtype.itemsize === 4;
  const check = featureCheckOf(obj);
  let scale: Float64Array | null = null;
  if (a.raw('whiten') === true) {
    scale = a.numbers('explained_variance_').map(Math.sqrt);
    const eps = float32Model ? EPS32 : EPS64;
    if (atLeast(version, 1, 5)) scale = scale.map((s) => (s < eps ? eps : s));
  }
  // get_feature_names_out: the lowercased class name and the component index
  const names = isPandasOutput(obj) ? Array.from({ length: k }, (_, c) => `pca${c}`) : null;

  // mean_ @ C.T, subtracted after the projection since 1.4
  const meanProjection = Float64Array.from({ length: k }, (_, c) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += mean[j]! * C[c * d + j]!;
    return s;
  });

  return {
    name: obj.name,
    transform(X: Table): Table {
      const float32 = float32Model && isFloat32Table(X);
      const round = float32 ? Math.fround : (v: number) => v;
      const columns = numericFeatures(X, { ...check, nFeatures: check.nFeatures ?? d });
      const out = Array.from({ length: k }, () => new Float64Array(X.rows));
      const row = new Float64Array(d);
      for (let i = 0; i < X.rows; i++) {
        for (let j = 0; j < d; j++) row[j] = centreFirst ? round(columns[j]![i]! - mean[j]!) : columns[j]![i]!;
        for (let c = 0; c < k; c++) {
          let s = 0;
          for (let j = 0; j < d; j++) s = round(s + round(row[j]! * C[c * d + j]!));
          if (!centreFirst) s = round(s - round(meanProjection[c]!));
          out[c]![i] = scale === null ? s : round(s / scale[c]!);
        }
      }
      return numericTable(out, X.rows, float32 ? 'float32' : 'float64', names);
    },
  };
}

export const pca: EstimatorFamily = {
  classes: ['sklearn.decomposition._pca.PCA', 'sklearn.decomposition.pca.PCA'],
  build: buildPCA,
};
