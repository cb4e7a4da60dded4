/**
 * QuantileTransformer and PowerTransformer (sklearn.preprocessing), both ways (inverse_transform
 * is what TransformedTargetRegressor calls).
 * Quantile: per feature, the mean of np.interp forwards and backwards through the fitted
 * quantiles (so repeated quantiles map to the middle of their references), the fitted bounds
 * pinned to 0/1, then scipy's norm.ppf clipped at ±ppf(1e-7 - eps) for a normal output.
 * Power: Yeo-Johnson or Box-Cox with each feature's lambda, then the pickled StandardScaler.
 * NaN passes through; float32 input gives float32 output (computed in float64, rounded per
 * stored array, as numpy's float32 arrays do at each assignment).
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { type FeatureCheck, featureCheckOf, numericFeatures } from '../features.js';
import { normalCdf, normalPpf } from '../normal.js';
import { isFloat32Table, numericTable, type Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { pandasOutputNames } from './output-config.js';

const BOUNDS_THRESHOLD = 1e-7;
const SPACING_1 = 2 ** -52;

/** np.interp(x, xp, fp) for one finite x (xp ascending, repeats allowed). */
export function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  const n = xp.length;
  // j: the last index with xp[j] <= x
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xp[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  const j = lo - 1;
  if (j < 0) return fp[0]!;
  if (j >= n - 1 || xp[j] === x) return fp[j]!;
  const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
  let y = slope * (x - xp[j]!) + fp[j]!;
  if (Number.isNaN(y)) {
    y = slope * (x - xp[j + 1]!) + fp[j + 1]!;
    if (Number.isNaN(y) && fp[j] === fp[j + 1]) y = fp[j]!;
  }
  return y;
}

/** A feature-wise map over the validated input (NaN allowed), keeping float32. */
function mapColumns(obj: PyObject, X: Table, check: FeatureCheck, f: (col: Float64Array, j: number, round: (v: number) => number) => Float64Array, names: readonly string[] | null): Table {
  const float32 = isFloat32Table(X);
  const round = float32 ? Math.fround : (v: number): number => v;
  const columns = numericFeatures(X, check, { allowNaN: true }).map((col, j) => f(col, j, round));
  return numericTable(columns, X.rows, float32 ? 'float32' : 'float64', names);
}

function buildQuantile(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const quantiles = a.array('quantiles_');
  if (quantiles.ndim !== 2) throw new TypeError('QuantileTransformer.quantiles_ is not a matrix');
  const [nq, nf] = quantiles.shape as [number, number];
  const q = quantiles.numbers();
  const perFeature = Array.from({ length: nf }, (_, j) => Float64Array.from({ length: nq }, (_, i) => q[i * nf + j]!));
  const references = a.numbers('references_');
  if (references.length !== nq) throw new TypeError('QuantileTransformer: references_ and quantiles_ differ in length');
  const normal = a.string('output_distribution') === 'normal';
  if (!normal && a.string('output_distribution') !== 'uniform') throw new TypeError(`QuantileTransformer with output_distribution='${a.string('output_distribution')}' is not supported`);
  const check = featureCheckOf(obj);
  const reversedRefs = Float64Array.from(references, (_, i) => -references[nq - 1 - i]!);
  const reversedQuantiles = perFeature.map((col) => Float64Array.from(col, (_, i) => -col[nq - 1 - i]!));
  const clipMin = normalPpf(BOUNDS_THRESHOLD - SPACING_1);
  const clipMax = normalPpf(1 - (BOUNDS_THRESHOLD - SPACING_1));

  const forward = (col: Float64Array, j: number, round: (v: number) => number): Float64Array => {
    const qs = perFeature[j]!;
    const low = qs[0]!;
    const high = qs[nq - 1]!;
    return col.map((x) => {
      if (Number.isNaN(x)) return x;
      let v: number;
      const atLow = normal ? round(x - BOUNDS_THRESHOLD) < low : x === low;
      const atHigh = normal ? round(x + BOUNDS_THRESHOLD) > high : x === high;
      if (atLow) v = 0;
      else if (atHigh) v = 1;
      else v = round(0.5 * (interp(x, qs, references) - interp(-x, reversedQuantiles[j]!, reversedRefs)));
      if (!normal) return v;
      return round(Math.min(Math.max(round(normalPpf(v)), clipMin), clipMax));
    });
  };
  const backward = (col: Float64Array, j: number, round: (v: number) => number): Float64Array => {
    const qs = perFeature[j]!;
    return col.map((x) => {
      if (Number.isNaN(x)) return x;
      const u = normal ? round(normalCdf(x)) : x;
      const atLow = normal ? round(u - BOUNDS_THRESHOLD) < 0 : u === 0;
      const atHigh = normal ? round(u + BOUNDS_THRESHOLD) > 1 : u === 1;
      if (atLow) return qs[0]!;
      if (atHigh) return qs[nq - 1]!;
      return round(interp(u, references, qs));
    });
  };
  return {
    name: obj.name,
    transform: (X) => mapColumns(obj, X, check, forward, pandasOutputNames(obj, nf)),
    inverseTransform: (X) => mapColumns(obj, X, { ...check, featureNames: null }, backward, null),
  };
}

/**
 * Yeo-Johnson: scipy's expm1/log1p form from sklearn 1.9, sklearn's own power form before.
 * `r` rounds each intermediate (float32 under numpy 1's casting, where a float32 column and a
 * float64 lambda compute in float32) or not at all.
 */
function yeoJohnson(x: number, l: number, scipyForm: boolean, r: (v: number) => number): number {
  if (scipyForm) {
    if (x >= 0) return Math.abs(l) < SPACING_1 ? Math.log1p(x) : Math.expm1(l * Math.log1p(x)) / l;
    if (Math.abs(l - 2) > SPACING_1) return -Math.expm1((2 - l) * Math.log1p(-x)) / (2 - l);
    return -Math.log1p(-x);
  }
  if (x >= 0) return Math.abs(l) < SPACING_1 ? r(Math.log1p(x)) : r(r(r(Math.pow(r(x + 1), r(l))) - 1) / r(l));
  if (Math.abs(l - 2) > SPACING_1) return r(-r(r(Math.pow(r(-x + 1), r(2 - l))) - 1) / r(2 - l));
  return r(-r(Math.log1p(r(-x))));
}

function yeoJohnsonInverse(x: number, l: number): number {
  if (x >= 0) return Math.abs(l) < SPACING_1 ? Math.exp(x) - 1 : Math.pow(x * l + 1, 1 / l) - 1;
  if (Math.abs(l - 2) > SPACING_1) return 1 - Math.pow(-(2 - l) * x + 1, 1 / (2 - l));
  return 1 - Math.exp(-x);
}

/** scipy.special.boxcox (`r` rounds lambda to float32 where numpy 1 picks the float32 loop). */
function boxCox(x: number, l: number, r: (v: number) => number): number {
  const lr = r(l);
  return Math.abs(lr) < 1e-19 ? Math.log(x) : Math.expm1(lr * Math.log(x)) / lr;
}

/** scipy.special.inv_boxcox. */
function boxCoxInverse(y: number, l: number): number {
  return l === 0 ? Math.exp(y) : Math.exp(Math.log1p(l * y) / l);
}

function buildPower(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const lambdas = a.numbers('lambdas_');
  const method = a.string('method');
  if (method !== 'yeo-johnson' && method !== 'box-cox') throw new TypeError(`PowerTransformer with method='${method}' is not supported`);
  const boxcox = method === 'box-cox';
  const scaler = a.raw('standardize') === true ? ctx.build(a.required('_scaler'), 'PowerTransformer._scaler') : null;
  if (scaler !== null && (scaler.transform === undefined || scaler.inverseTransform === undefined)) throw new TypeError('PowerTransformer._scaler is not a StandardScaler');
  const check = featureCheckOf(obj);
  const version = versionOf(obj);
  const scipyForm = atLeast(version, 1, 9);
  // numpy 1 (what scikit-learn < 1.5 ran on) computed a float32 column with a float64 scalar in float32
  const legacyCasting = !atLeast(version, 1, 5);
  const checkShape = (X: Table): void => {
    if (X.columns.length !== lambdas.length) {
      throw new Error(`Input data has a different number of features than fitting data. Should have ${lambdas.length}, data has ${X.columns.length}`);
    }
  };
  return {
    name: obj.name,
    transform(X) {
      const out = mapColumns(obj, X, check, (col, j, round) => {
        if (boxcox) {
          let min = Infinity;
          for (const v of col) if (v < min) min = v;
          if (min <= 0) throw new Error('The Box-Cox transformation can only be applied to strictly positive data');
        }
        const r = legacyCasting ? round : (v: number): number => v;
        return col.map((x) => round(boxcox ? boxCox(x, lambdas[j]!, r) : yeoJohnson(x, lambdas[j]!, scipyForm, r)));
      }, null);
      checkShape(out);
      if (scaler === null) return { ...out, names: pandasOutputNames(obj, lambdas.length) };
      return { ...scaler.transform!(out), names: pandasOutputNames(obj, lambdas.length) };
    },
    inverseTransform(X) {
      checkShape(X);
      const scaled = scaler === null ? X : scaler.inverseTransform!(X);
      return mapColumns(obj, scaled, { ...check, featureNames: null }, (col, j, round) => col.map((y) => round(boxcox ? boxCoxInverse(y, lambdas[j]!) : yeoJohnsonInverse(y, lambdas[j]!))), null);
    },
  };
}

export const quantilePowerTransformers: EstimatorFamily = {
  classes: qualified(['sklearn.preprocessing._data', 'sklearn.preprocessing.data'], ['QuantileTransformer', 'PowerTransformer']),
  build: (obj, ctx) => (obj.name === 'QuantileTransformer' ? buildQuantile(obj) : buildPower(obj, ctx)),
};
