/**
 * What XGBoost's scikit-learn wrappers keep in the booster attributes: `scikit_learn` (their
 * constructor parameters and fitted state as JSON, written by Python's json with bare NaN)
 * and `best_iteration` (early stopping).
 */
import { parseJsonAllowingNonFinite } from './json.js';

export interface SklearnMeta {
  readonly estimatorType: string | null;
  /** Input value treated as missing besides NaN (the `missing` parameter; NaN by default). */
  readonly missing: number;
  readonly bestIteration: number | null;
  /** Class labels of a pre-1.6 label encoder (`_le`), else null: labels are 0..n-1. */
  readonly labelEncoder: readonly number[] | null;
  readonly labelDType: 'int64' | 'float64';
}

export function sklearnMeta(attributes: Readonly<Record<string, string>>): SklearnMeta {
  const text = attributes.scikit_learn;
  let state: Record<string, unknown> = {};
  if (text !== undefined) {
    const parsed = parseJsonAllowingNonFinite(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) state = parsed as Record<string, unknown>;
  }
  const best = attributes.best_iteration === undefined ? NaN : Number(attributes.best_iteration);
  const missing = typeof state.missing === 'number' ? state.missing : NaN;
  const labels = labelEncoderClasses(state._le);
  return {
    estimatorType: typeof state._estimator_type === 'string' ? state._estimator_type : null,
    missing,
    bestIteration: Number.isInteger(best) && best >= 0 ? best : null,
    labelEncoder: labels,
    labelDType: labels !== null && !labels.every(Number.isInteger) ? 'float64' : 'int64',
  };
}

function labelEncoderClasses(le: unknown): number[] | null {
  if (typeof le !== 'object' || le === null) return null;
  const classes = (le as { classes_?: unknown }).classes_;
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'number')) return null;
  return classes as number[];
}
