/**
 * Normalizer (sklearn.preprocessing): each row divided by its l1, l2 or max norm; a norm
 * below 10·eps leaves the row as it is. numpy sums a DataFrame's rows column by column (its
 * array is Fortran-ordered) and an ndarray's rows pairwise; both orders are followed.
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { EPS32, EPS64, npSum } from '../numeric.js';
import { isFloat32Table, numericTable, type Table } from '../table.js';
import { pandasOutputNames } from './output-config.js';

const NORMS = ['l1', 'l2', 'max'];

function buildNormalizer(obj: PyObject): Estimator {
  const norm = new Attributes(obj).string('norm');
  if (!NORMS.includes(norm)) throw new TypeError(`Normalizer with norm='${norm}' is not supported (supported: ${NORMS.join(', ')})`);
  const check = featureCheckOf(obj);
  return {
    name: obj.name,
    transform(X: Table): Table {
      const float32 = isFloat32Table(X);
      const round = float32 ? Math.fround : (v: number) => v;
      const columns = numericFeatures(X, check).map((c) => (float32 ? c.map(Math.fround) : c));
      const d = columns.length;
      const out = columns.map(() => new Float64Array(X.rows));
      const row = new Float64Array(d);
      for (let i = 0; i < X.rows; i++) {
        for (let j = 0; j < d; j++) row[j] = norm === 'l2' ? round(columns[j]![i]! * columns[j]![i]!) : Math.abs(columns[j]![i]!);
        let n: number;
        if (norm === 'max') n = row.reduce((m, v) => Math.max(m, v), 0);
        else if (X.names === null) n = round(npSum(row, 0, d));
        else n = row.reduce((s, v) => round(s + v), 0);
        if (norm === 'l2') n = round(Math.sqrt(n));
        if (n < 10 * (float32 ? EPS32 : EPS64)) n = 1;
        for (let j = 0; j < d; j++) out[j]![i] = round(columns[j]![i]! / n);
      }
      return numericTable(out, X.rows, float32 ? 'float32' : 'float64', pandasOutputNames(obj, d));
    },
  };
}

export const normalizer: EstimatorFamily = {
  classes: qualified(['sklearn.preprocessing._data', 'sklearn.preprocessing.data'], ['Normalizer']),
  build: buildNormalizer,
};
