/**
 * StandardScaler (sklearn.preprocessing): `(X - mean_) / scale_`, element by element, NaN
 * passing through. Float32 input stays float32 (each step rounds), as numpy's in-place ops do.
 */
import { Attributes, isNone, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { isFloat32Table, numericTable } from '../table.js';
import { pandasOutputNames } from './output-config.js';

function buildStandardScaler(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const mean = a.bool('with_mean') && !isNone(a.raw('mean_')) ? a.numbers('mean_') : null;
  const scale = a.bool('with_std') && !isNone(a.raw('scale_')) ? a.numbers('scale_') : null;
  const check = featureCheckOf(obj);
  return {
    name: obj.name,
    transform(X) {
      const float32 = isFloat32Table(X);
      const round = float32 ? Math.fround : (v: number) => v;
      const columns = numericFeatures(X, check, { allowNaN: true }).map((col, j) => {
        const m = mean?.[j];
        const s = scale?.[j];
        const out = new Float64Array(col.length);
        for (let i = 0; i < col.length; i++) {
          let v = col[i]!;
          if (m !== undefined) v = round(v - m);
          if (s !== undefined) v = round(v / s);
          out[i] = v;
        }
        return out;
      });
      return numericTable(columns, X.rows, float32 ? 'float32' : 'float64', pandasOutputNames(obj, columns.length));
    },
    inverseTransform(X) {
      // X *= scale_; X += mean_ (the array only: no feature names)
      const float32 = isFloat32Table(X);
      const round = float32 ? Math.fround : (v: number) => v;
      const columns = numericFeatures(X, { ...check, featureNames: null }, { allowNaN: true }).map((col, j) => {
        const m = mean?.[j];
        const s = scale?.[j];
        return col.map((v) => {
          if (s !== undefined) v = round(v * s);
          if (m !== undefined) v = round(v + m);
          return v;
        });
      });
      return numericTable(columns, X.rows, float32 ? 'float32' : 'float64');
    },
  };
}

export const standardScaler: EstimatorFamily = {
  classes: ['sklearn.preprocessing._data.StandardScaler', 'sklearn.preprocessing.data.StandardScaler'],
  build: buildStandardScaler,
};
