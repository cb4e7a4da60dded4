/**
 * The scikit-learn version that pickled an estimator (`_sklearn_version`, written by every
 * BaseEstimator since 0.18). MLflow serves a model with the version it was saved with, so
 * behaviour that changed between versions (NaN support, probability normalisation, loss
 * formulas) follows this version, not a guess.
 */
import type { PyObject } from '../../src/pickle/index.js';

export interface SklearnVersion {
  readonly major: number;
  readonly minor: number;
}

export function versionOf(obj: PyObject): SklearnVersion {
  const v = obj.get('_sklearn_version');
  const m = typeof v === 'string' ? /^(\d+)\.(\d+)/.exec(v) : null;
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

export function atLeast(v: SklearnVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
