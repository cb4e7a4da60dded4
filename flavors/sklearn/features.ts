/**
 * sklearn's input validation on predict (`validate_data(reset=False)` / `check_array`):
 * feature names must match those seen in fit, the feature count must match, values become
 * float64 (or float32 for trees), and NaN/infinity are rejected unless the estimator takes
 * them. Messages are sklearn's, so a user reading an error sees what Python would have said.
 */
import { Attributes, type PyObject } from '../../src/pickle/index.js';
import { numericColumn, type Table } from './table.js';

export interface FeatureCheck {
  readonly estimator: string;
  readonly nFeatures: number | null;
  readonly featureNames: readonly string[] | null;
}

export function featureCheckOf(obj: PyObject): FeatureCheck {
  const a = new Attributes(obj);
  const names = a.raw('feature_names_in_');
  return {
    estimator: obj.name,
    nFeatures: a.has('n_features_in_') ? a.int('n_features_in_') : null,
    featureNames: names === undefined || names === null ? null : a.sequence('feature_names_in_').map(String),
  };
}

/** sklearn's `_check_feature_names` and `_check_n_features`. */
export function checkFeatures(X: Table, check: FeatureCheck): void {
  const fitted = check.featureNames;
  // _get_feature_names: a DataFrame with integer labels has none (sklearn only warns).
  const given = X.integerLabels ? null : X.names;
  if (fitted !== null && given !== null) {
    const same = fitted.length === given.length && fitted.every((n, i) => n === given[i]);
    if (!same) {
      const unseen = given.filter((n) => !fitted.includes(n));
      const missing = fitted.filter((n) => !given.includes(n));
      let message = 'The feature names should match those that were passed during fit.\n';
      if (unseen.length > 0) message += `Feature names unseen at fit time:\n${unseen.map((n) => `- ${n}\n`).join('')}`;
      if (missing.length > 0) message += `Feature names seen at fit time, yet now missing:\n${missing.map((n) => `- ${n}\n`).join('')}`;
      if (unseen.length === 0 && missing.length === 0) message += 'Feature names must be in the same order as they were in fit.\n';
      throw new Error(message);
    }
  }
  if (check.nFeatures !== null && X.columns.length !== check.nFeatures) {
    throw new Error(`X has ${X.columns.length} features, but ${check.estimator} is expecting ${check.nFeatures} features as input.`);
  }
}

export interface NumericOptions {
  /** Trees read X as float32 (sklearn's DTYPE): every value is rounded to float32 first. */
  readonly float32?: boolean;
  /** The estimator handles NaN itself ("allow-nan"); infinity is still refused. */
  readonly allowNaN?: boolean;
  /** No finiteness check at all (`ensure_all_finite=False`). */
  readonly allowInfinite?: boolean;
}

/** The validated input as float64 columns (a copy only when a column needs converting). */
export function numericFeatures(X: Table, check: FeatureCheck, options: NumericOptions = {}): Float64Array[] {
  checkFeatures(X, check);
  if (X.rows === 0) {
    throw new Error(`Found array with 0 sample(s) (shape=(0, ${X.columns.length})) while a minimum of 1 is required by ${check.estimator}.`);
  }
  const dtype = options.float32 ? 'float32' : 'float64';
  const columns = X.columns.map((c) => {
    let values = numericColumn(c);
    // through a Float32Array: the same rounding as Math.fround, ~100× faster than Float64Array.from(values, Math.fround)
    if (options.float32) values = new Float64Array(new Float32Array(values));
    return values;
  });
  if (options.allowInfinite) return columns;
  for (const values of columns) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v === 0) continue;
      if (Number.isNaN(v)) {
        if (options.allowNaN) continue;
        throw new Error(
          `Input X contains NaN.\n${check.estimator} does not accept missing values encoded as NaN natively.`,
        );
      }
      throw new Error(`Input X contains infinity or a value too large for dtype('${dtype}').`);
    }
  }
  return columns;
}
