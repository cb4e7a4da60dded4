/**
 * PolynomialFeatures (sklearn.preprocessing): the bias, the features, then every product of
 * degree 2..max (with repetition, or interaction only), in sklearn's column order. Each product
 * is built as sklearn builds it, one factor at a time from the last feature to the first:
 * x_a·x_b·x_c = (x_c·x_b)·x_a.
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { isFloat32Table, numericTable, type Table } from '../table.js';
import { isPandasOutput } from './pandas-output.js';

/** sklearn's `_combinations`: feature index tuples in output order (the empty tuple is the bias). */
function combinations(n: number, minDegree: number, maxDegree: number, interactionOnly: boolean, includeBias: boolean): number[][] {
  const out: number[][] = includeBias ? [[]] : [];
  const extend = (prefix: number[], from: number, degree: number): void => {
    if (prefix.length === degree) {
      out.push(prefix);
      return;
    }
    for (let j = from; j < n; j++) extend([...prefix, j], interactionOnly ? j + 1 : j, degree);
  };
  for (let degree = Math.max(1, minDegree); degree <= maxDegree; degree++) extend([], 0, degree);
  return out;
}

/** get_feature_names_out: `x0^2 x1`, `1` for the bias. */
function featureName(combo: number[], input: readonly string[]): string {
  if (combo.length === 0) return '1';
  const parts: string[] = [];
  for (let k = 0; k < combo.length; ) {
    let e = 1;
    while (k + e < combo.length && combo[k + e] === combo[k]) e++;
    parts.push(e === 1 ? input[combo[k]!]! : `${input[combo[k]!]!}^${e}`);
    k += e;
  }
  return parts.join(' ');
}

function buildPolynomialFeatures(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const check = featureCheckOf(obj);
  const n = a.int('n_features_in_');
  const degree = a.raw('degree');
  const maxDegree = a.has('_max_degree') ? a.int('_max_degree') : Number(degree);
  const minDegree = a.has('_min_degree') ? a.int('_min_degree') : 0;
  const combos = combinations(n, minDegree, maxDegree, a.raw('interaction_only') === true, a.raw('include_bias') !== false);
  if (a.has('n_output_features_') && a.int('n_output_features_') !== combos.length) {
    throw new TypeError(`PolynomialFeatures: ${combos.length} output features computed, ${a.int('n_output_features_')} fitted`);
  }
  const names = isPandasOutput(obj) ? combos.map((c) => featureName(c, check.featureNames ?? Array.from({ length: n }, (_, j) => `x${j}`))) : null;

  return {
    name: obj.name,
    transform(X: Table): Table {
      const float32 = isFloat32Table(X);
      const round = float32 ? Math.fround : (v: number) => v;
      const columns = numericFeatures(X, check).map((c) => (float32 ? c.map(Math.fround) : c));
      const out = combos.map((combo) => {
        if (combo.length === 0) return new Float64Array(X.rows).fill(1);
        const col = Float64Array.from(columns[combo[combo.length - 1]!]!);
        for (let k = combo.length - 2; k >= 0; k--) {
          const factor = columns[combo[k]!]!;
          for (let i = 0; i < X.rows; i++) col[i] = round(col[i]! * factor[i]!);
        }
        return col;
      });
      return numericTable(out, X.rows, float32 ? 'float32' : 'float64', names);
    },
  };
}

export const polynomialFeatures: EstimatorFamily = {
  classes: [
    'sklearn.preprocessing._polynomial.PolynomialFeatures',
    'sklearn.preprocessing._data.PolynomialFeatures',
    'sklearn.preprocessing.data.PolynomialFeatures',
  ],
  build: buildPolynomialFeatures,
};
