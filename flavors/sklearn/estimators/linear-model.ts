/**
 * The decision function every linear model shares: `X @ coef_.T + intercept_` in float64,
 * summing features in order (numpy's BLAS may group the sum differently: the difference is a
 * few ulps, far inside the 1e-9 bar). A model fitted on float32 data has float32 coef_; fed
 * float32 X, numpy computes in float32 too, and so does this (BLAS's float32 summation order is
 * CPU-specific, so those results agree to float32 precision, not to the last bit).
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, NDArray, asNumbers } from '../../../src/pickle/index.js';
import { type FeatureCheck, featureCheckOf, numericFeatures } from '../features.js';
import { isFloat32Table, type Table } from '../table.js';

export interface LinearDecision {
  readonly check: FeatureCheck;
  /** rows of coef_: one per output (target or class score) */
  readonly coef: Float64Array[];
  readonly intercept: Float64Array;
  /** coef_ was 1-D: the result is [n], not [n, 1] */
  readonly flat: boolean;
  /** coef_ is float32 */
  readonly float32: boolean;
}

export function linearDecisionOf(a: Attributes): LinearDecision {
  const coef = a.array('coef_');
  const nFeatures = coef.shape[coef.ndim - 1]!;
  const data = coef.numbers();
  const rows = coef.ndim === 1 ? 1 : coef.shape[0]!;
  if (coef.ndim > 2) throw new TypeError(`${a.obj.name}.coef_ has ${coef.ndim} dimensions`);
  const coefRows = Array.from({ length: rows }, (_, k) => data.subarray(k * nFeatures, (k + 1) * nFeatures));
  const interceptValue = a.raw('intercept_') ?? 0;
  const intercept = interceptValue instanceof NDArray || Array.isArray(interceptValue)
    ? asNumbers(interceptValue, `${a.obj.name}.intercept_`)
    : Float64Array.of(a.number('intercept_'));
  if (intercept.length !== 1 && intercept.length !== rows) {
    throw new TypeError(`${a.obj.name}.intercept_ has ${intercept.length} values for ${rows} outputs`);
  }
  const check = featureCheckOf(a.obj);
  return {
    check: { ...check, nFeatures: check.nFeatures ?? nFeatures },
    coef: coefRows,
    intercept,
    flat: coef.ndim === 1,
    float32: coef.dtype.kind === 'f' && coef.dtype.itemsize === 4,
  };
}

export interface LinearScores {
  /** [rows, outputs] row-major */
  readonly scores: Float64Array;
  /** computed in float32 (float32 coef_ and float32 X) */
  readonly float32: boolean;
}

/** The decision function's scores. */
export function linearScores(d: LinearDecision, X: Table): LinearScores {
  const columns = numericFeatures(X, d.check);
  const float32 = d.float32 && isFloat32Table(X);
  const round = float32 ? Math.fround : (v: number): number => v;
  const rows = X.rows;
  const k = d.coef.length;
  const out = new Float64Array(rows * k);
  const dot = new Float64Array(rows);
  for (let o = 0; o < k; o++) {
    const w = d.coef[o]!;
    dot.fill(0);
    for (let j = 0; j < w.length; j++) {
      const col = columns[j]!;
      const wj = w[j]!;
      if (float32) for (let i = 0; i < rows; i++) dot[i] = round(dot[i]! + round(col[i]! * wj));
      else for (let i = 0; i < rows; i++) dot[i]! += col[i]! * wj;
    }
    const b = d.intercept.length === 1 ? d.intercept[0]! : d.intercept[o]!;
    for (let i = 0; i < rows; i++) out[i * k + o] = round(dot[i]! + b);
  }
  return { scores: out, float32 };
}

/** LinearClassifierMixin.decision_function: the scores, raveled when there is one column. */
export function linearDecisionFunction(d: LinearDecision, X: Table): Tensor {
  const { scores, float32 } = linearScores(d, X);
  const k = d.coef.length;
  return { dtype: float32 ? 'float32' : 'float64', shape: k === 1 ? [X.rows] : [X.rows, k], values: scores };
}
