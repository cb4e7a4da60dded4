/**
 * SimpleImputer (sklearn.impute): the fitted statistic (mean, median, most frequent or the
 * constant) written where a value equals `missing_values` (NaN, None, a number or a string),
 * features without a statistic left out as fitted, and the MissingIndicator's columns appended
 * when add_indicator. Values keep the array's dtype as numpy would make it (float32 stays
 * float32, ints truncate, strings stay objects).
 */
import type { Column, DType } from '../../../src/model/data.js';
import { Attributes, DType as NumpyDType, NumpyScalar, type PyObject, type PyValue } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { checkFeatures, featureCheckOf } from '../features.js';
import { isNumericColumn, numericColumn, type Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { isPandasOutput } from './pandas-output.js';
import { arrayDType, pythonEquals } from './table-values.js';

const STRATEGIES = ['mean', 'median', 'most_frequent', 'constant'];

function plain(v: PyValue | undefined): unknown {
  return v instanceof NumpyScalar ? v.value : v;
}

function isNaNValue(v: unknown): boolean {
  return typeof v === 'number' && Number.isNaN(v);
}

/** The MissingIndicator's columns: the features it watches (all, or those with missing values at fit). */
function indicatorFeatures(obj: PyObject, nFeatures: number): number[] | null {
  const a = new Attributes(obj);
  if (a.raw('add_indicator') !== true) return null;
  const indicator = a.object('indicator_');
  const features = Array.from(new Attributes(indicator).numbers('features_'));
  return features.length < nFeatures ? features : Array.from({ length: nFeatures }, (_, j) => j);
}

/** The dtype `_validate_input` converts X to: floats for mean/median, object when fitted on objects, else numpy's common dtype. */
function targetDType(strategy: string, fitKind: string | null, X: Table): DType {
  if (fitKind === 'O') return 'object';
  if (strategy === 'mean' || strategy === 'median') return X.columns.every((c) => c.dtype === 'float32') ? 'float32' : 'float64';
  return arrayDType(X.columns);
}

function buildSimpleImputer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const strategy = a.raw('strategy');
  if (typeof strategy !== 'string' || !STRATEGIES.includes(strategy)) {
    throw new TypeError(`SimpleImputer with strategy=${typeof strategy === 'string' ? `'${strategy}'` : 'a callable'} is not supported (supported: ${STRATEGIES.join(', ')})`);
  }
  const missingValue = plain(a.raw('missing_values'));
  const nanMissing = isNaNValue(missingValue);
  const statistics = a.array('statistics_').items().map(plain);
  const nFeatures = statistics.length;
  const fitDType = a.raw('_fit_dtype');
  const fitKind = fitDType instanceof NumpyDType ? fitDType.kind : null;
  const check = featureCheckOf(obj);
  // features whose statistic is NaN (all missing at fit) are dropped, unless kept; 'constant' kept them all before 1.8
  const keepAll = a.raw('keep_empty_features') === true || (strategy === 'constant' && !atLeast(versionOf(obj), 1, 8));
  const kept = statistics.map((s, j) => (keepAll || !isNaNValue(s) ? j : -1)).filter((j) => j >= 0);
  const indicator = indicatorFeatures(obj, nFeatures);
  let names: string[] | null = null;
  if (isPandasOutput(obj)) {
    const input = check.featureNames ?? Array.from({ length: nFeatures }, (_, j) => `x${j}`);
    names = [...kept.map((j) => input[j]!), ...(indicator ?? []).map((j) => `missingindicator_${input[j]!}`)];
  }

  const isMissing = (v: unknown): boolean => (nanMissing ? isNaNValue(v) : pythonEquals(v, missingValue));

  return {
    name: obj.name,
    transform(X: Table): Table {
      checkFeatures(X, { ...check, nFeatures: check.nFeatures ?? nFeatures });
      const dtype = targetDType(strategy, fitKind, X);
      if (dtype === 'bool') throw new Error('SimpleImputer does not support data with dtype bool.');
      const numeric = dtype !== 'object';
      const columns: Column[] = X.columns.map((c) => {
        if (!numeric) return { dtype, values: isNumericColumn(c) ? Array.from(c.values) : [...c.values] };
        let values: Float64Array;
        try {
          values = numericColumn(c);
        } catch (err) {
          throw new Error(`Cannot use ${strategy} strategy with non-numeric data:\n${(err as Error).message}`);
        }
        return { dtype, values: dtype === 'float32' ? values.map(Math.fround) : values };
      });
      // force_all_finite: NaN passes only when it is the missing value; infinity never in floats
      for (const c of columns) {
        for (const v of c.values) {
          if (numeric && (v === Infinity || v === -Infinity)) throw new Error(`Input X contains infinity or a value too large for dtype('${dtype}').`);
          if (!nanMissing && isNaNValue(v)) throw new Error(numeric ? 'Input X contains NaN.' : 'Input contains NaN');
        }
      }
      const masks = columns.map((c) => Uint8Array.from(c.values as ArrayLike<unknown>, (v) => (isMissing(v) ? 1 : 0)));
      const out: Column[] = kept.map((j) => {
        const values = columns[j]!.values;
        const fill = statistics[j];
        const mask = masks[j]!;
        if (values instanceof Float64Array) {
          const f = castStatistic(fill, dtype);
          const filled = Float64Array.from(values);
          for (let i = 0; i < X.rows; i++) if (mask[i] === 1) filled[i] = f;
          return { dtype, values: filled };
        }
        return { dtype, values: values.map((v, i) => (mask[i] === 1 ? fill : v)) };
      });
      for (const j of indicator ?? []) {
        // np.hstack with the boolean mask keeps X's dtype
        const mask = masks[j]!;
        out.push(numeric ? { dtype, values: Float64Array.from(mask) } : { dtype, values: Array.from(mask, (m) => m === 1) });
      }
      return { rows: X.rows, names, columns: out };
    },
  };
}

/** A float statistic stored into X's dtype, as numpy's assignment casts it. */
function castStatistic(v: unknown, dtype: DType): number {
  const n = Number(v);
  if (dtype === 'float32') return Math.fround(n);
  if (dtype === 'float64' || dtype === 'float16') return n;
  return Math.trunc(n);
}

export const simpleImputer: EstimatorFamily = {
  classes: ['sklearn.impute._base.SimpleImputer', 'sklearn.impute.SimpleImputer'],
  parts: ['sklearn.impute._base.MissingIndicator', 'sklearn.impute.MissingIndicator'],
  build: buildSimpleImputer,
};
