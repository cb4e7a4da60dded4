/**
 * HistGradientBoostingClassifier/Regressor (sklearn.ensemble._hist_gradient_boosting).
 * raw = _baseline_prediction + the predictors' leaf values, iteration by iteration, on float64 X
 * (NaN and infinity pass; NaN follows each node's missing_go_to_left). Categorical splits use
 * the node's category bitset; categories unseen in fit go the missing way. Since 1.4 a model
 * with categorical features from pandas dtypes keeps a ColumnTransformer `_preprocessor` that
 * ordinal-encodes those columns first: it is replayed here.
 */
import type { Column, Tensor } from '../../../src/model/data.js';
import {
  Attributes, NDArray, NumpyScalar, PyObject, asArray, asObject, asSequence, isNone, type PyValue,
} from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { checkFeatures, featureCheckOf, numericFeatures } from '../features.js';
import { argmax, expit, logInPlace, softmaxRows } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import { numericColumn, type Table } from '../table.js';
import { atLeast, versionOf } from '../version.js';
import { SKLEARN_LOSSES } from './losses.js';

const HGB = 'sklearn.ensemble._hist_gradient_boosting';

/** One TreePredictor: its node array, read into flat typed arrays. */
class HgbTree {
  private readonly value: Float64Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly missingLeft: Uint8Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly leaf: Uint8Array;
  private readonly categorical: Uint8Array | null;
  private readonly bitsetIdx: Int32Array | null;
  /** raw_left_cat_bitsets: 8 words per bitset */
  private readonly catBits: Uint32Array;

  constructor(predictor: PyObject, nFeatures: number) {
    const a = new Attributes(predictor);
    const nodes = a.array('nodes');
    const n = nodes.size;
    const field = (name: string): Float64Array => nodes.field(name).numbers();
    this.value = field('value').slice();
    this.feature = Int32Array.from(field('feature_idx'));
    this.threshold = field('num_threshold').slice();
    this.missingLeft = Uint8Array.from(field('missing_go_to_left'));
    this.left = Int32Array.from(field('left'));
    this.right = Int32Array.from(field('right'));
    this.leaf = Uint8Array.from(field('is_leaf'));
    this.categorical = nodes.hasField('is_categorical') ? Uint8Array.from(field('is_categorical')) : null;
    this.bitsetIdx = nodes.hasField('bitset_idx') ? Int32Array.from(field('bitset_idx')) : null;
    const raw = a.raw('raw_left_cat_bitsets');
    this.catBits = raw instanceof NDArray && raw.size > 0 ? Uint32Array.from(raw.numbers()) : new Uint32Array(0);
    for (let i = 0; i < n; i++) {
      if (this.leaf[i]) continue;
      const ok = this.left[i]! > 0 && this.left[i]! < n && this.right[i]! > 0 && this.right[i]! < n && this.feature[i]! >= 0 && this.feature[i]! < nFeatures;
      if (!ok) throw new TypeError(`TreePredictor node ${i} is malformed`);
      if (this.categorical?.[i] && (this.bitsetIdx![i]! + 1) * 8 > this.catBits.length) throw new TypeError(`TreePredictor node ${i} has no category bitset`);
    }
  }

  /** `_predict_one_from_raw_data` for every row, added into out[i * K + k]. */
  addTo(columns: readonly Float64Array[], rows: number, known: KnownCategories, out: Float64Array, K: number, k: number): void {
    const { value, feature, threshold, missingLeft, left, right, leaf, categorical, bitsetIdx, catBits } = this;
    for (let i = 0; i < rows; i++) {
      let node = 0;
      while (!leaf[node]) {
        const f = feature[node]!;
        const x = columns[f]![i]!;
        if (x !== x) node = missingLeft[node] ? left[node]! : right[node]!;
        else if (categorical !== null && categorical[node]) {
          if (x < 0) node = missingLeft[node] ? left[node]! : right[node]!;
          else {
            const c = asUint8(x);
            if (inBitset(catBits, bitsetIdx![node]!, c)) node = left[node]!;
            else if (known.has(f, c)) node = right[node]!;
            else node = missingLeft[node] ? left[node]! : right[node]!;
          }
        } else node = x <= threshold[node]! ? left[node]! : right[node]!;
      }
      out[i * K + k]! += value[node]!;
    }
  }
}

/** C's `(uint8_t)x` for a double as x86 compilers emit it: truncate to int32, keep the low byte. */
function asUint8(x: number): number {
  return x >= 2147483648 ? 0 : Math.trunc(x) & 255;
}

function inBitset(bits: Uint32Array, row: number, c: number): boolean {
  return ((bits[row * 8 + (c >>> 5)]! >>> (c & 31)) & 1) === 1;
}

/** `_bin_mapper.make_known_categories_bitsets()`: the categories each categorical feature saw in fit. */
class KnownCategories {
  private readonly map: Int32Array;
  private readonly bits: Uint32Array;

  constructor(binMapper: PyObject | null, nFeatures: number) {
    this.map = new Int32Array(nFeatures).fill(-1);
    const isCat = binMapper === null ? null : binMapper.get('is_categorical_');
    if (isNone(isCat) || binMapper === null) {
      this.bits = new Uint32Array(0);
      return;
    }
    const flags = asArray(isCat, '_bin_mapper.is_categorical_').numbers();
    const thresholds = asSequence(binMapper.get('bin_thresholds_'), '_bin_mapper.bin_thresholds_');
    let count = 0;
    flags.forEach((flag, f) => {
      if (flag) this.map[f] = count++;
    });
    this.bits = new Uint32Array(count * 8);
    flags.forEach((flag, f) => {
      if (!flag) return;
      for (const v of asArray(thresholds[f], `_bin_mapper.bin_thresholds_[${f}]`).numbers()) {
        const c = asUint8(v);
        this.bits[this.map[f]! * 8 + (c >>> 5)]! |= 1 << (c & 31);
      }
    });
  }

  has(feature: number, c: number): boolean {
    const row = this.map[feature]!;
    return row >= 0 && inBitset(this.bits, row, c);
  }
}

/** A column selection of a ColumnTransformer: a boolean mask or indices, as column positions. */
function selectedColumns(spec: PyValue, nColumns: number, names: readonly string[] | null, what: string): number[] {
  if (spec instanceof NDArray && spec.dtype.kind === 'b') return [...spec.numbers()].flatMap((b, j) => (b ? [j] : []));
  const items = spec instanceof NDArray ? spec.items() : asSequence(spec, what);
  return items.map((v) => {
    if (typeof v === 'number' || v instanceof NumpyScalar) return Number(v instanceof NumpyScalar ? v.value : v);
    const j = names?.indexOf(String(v)) ?? -1;
    if (j < 0 || j >= nColumns) throw new Error(`${what}: column ${String(v)} is not in the input`);
    return j;
  });
}

/** A category value as a lookup key: numbers by value (NaN excluded), strings as themselves. */
function categoryKey(v: unknown): string | null {
  if (v instanceof NumpyScalar) return categoryKey(v.value);
  if (typeof v === 'number') return Number.isNaN(v) ? null : `n${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'boolean') return `n${Number(v)}`;
  return null;
}

/** The `_preprocessor` (ColumnTransformer: OrdinalEncoder on categorical columns, check_array on the rest). */
function readPreprocessor(ct: PyObject, nFeatures: number): (X: Table) => Float64Array[] {
  const parts = asSequence(new Attributes(ct).required('transformers_'), 'HistGradientBoosting _preprocessor.transformers_').map((t, i) => {
    const [name, transformer, columns] = asSequence(t, `_preprocessor.transformers_[${i}]`);
    return { name: String(name), transformer, columns: columns ?? null };
  });
  interface Step {
    kind: 'encode' | 'numeric';
    columns: PyValue;
    /** per selected column: category key -> code (encode steps) */
    categories: Map<string, number>[];
  }
  const steps = parts.flatMap(({ name, transformer, columns }): Step[] => {
    if (transformer === 'drop') return [];
    if (transformer instanceof PyObject && transformer.name === 'OrdinalEncoder') {
      const categories = asSequence(transformer.get('categories_'), `${name}.categories_`).map((c) => {
        const lookup = new Map<string, number>();
        asArray(c, `${name}.categories_`).items().forEach((v, code) => {
          const key = categoryKey(v);
          if (key !== null && !lookup.has(key)) lookup.set(key, code);
        });
        return lookup;
      });
      return [{ kind: 'encode', columns, categories }];
    }
    if (transformer instanceof PyObject && transformer.name === 'FunctionTransformer') return [{ kind: 'numeric', columns, categories: [] }];
    throw new TypeError(`HistGradientBoosting _preprocessor step ${name} is not supported`);
  });
  return (X) => {
    const out: Float64Array[] = [];
    for (const step of steps) {
      const idx = selectedColumns(step.columns, X.columns.length, X.names, 'HistGradientBoosting _preprocessor');
      idx.forEach((j, pos) => {
        const column: Column = X.columns[j]!;
        if (step.kind === 'numeric') {
          out.push(numericColumn(column));
          return;
        }
        const lookup = step.categories[pos]!;
        const values = column.values;
        const encoded = new Float64Array(X.rows);
        for (let i = 0; i < X.rows; i++) {
          const key = categoryKey(values[i]);
          encoded[i] = key === null ? NaN : (lookup.get(key) ?? NaN);
        }
        out.push(encoded);
      });
    }
    if (out.length !== nFeatures) throw new Error(`HistGradientBoosting _preprocessor gave ${out.length} columns, expected ${nFeatures}`);
    return out;
  };
}

type Link = 'identity' | 'exp' | 'binary' | 'multiclass';

const LINKS: Record<string, Link> = {
  HalfSquaredError: 'identity', AbsoluteError: 'identity', PinballLoss: 'identity', HuberLoss: 'identity',
  HalfTweedieLossIdentity: 'identity', HalfPoissonLoss: 'exp', HalfGammaLoss: 'exp', HalfTweedieLoss: 'exp',
  HalfBinomialLoss: 'binary', HalfMultinomialLoss: 'multiclass',
  // sklearn < 1.1 kept its own losses in _hist_gradient_boosting.loss
  LeastSquares: 'identity', LeastAbsoluteDeviation: 'identity', Poisson: 'exp',
  BinaryCrossEntropy: 'binary', CategoricalCrossEntropy: 'multiclass',
};

function buildHistGradientBoosting(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const lossObj = asObject(a.raw('_loss') ?? a.raw('loss_'), `${obj.name}._loss`);
  const link = LINKS[lossObj.name];
  if (link === undefined) throw new TypeError(`${obj.name} with loss ${lossObj.className} is not supported`);
  const K = a.int('n_trees_per_iteration_');
  const nFeatures = a.has('_n_features') ? a.int('_n_features') : a.int('n_features_in_');
  const baseline = a.numbers('_baseline_prediction');
  if (baseline.length !== K) throw new TypeError(`${obj.name}._baseline_prediction has ${baseline.length} values for ${K} trees per iteration`);
  const iterations = a.sequence('_predictors').map((it, i) =>
    asSequence(it, `${obj.name}._predictors[${i}]`).map((p, k) => new HgbTree(asObject(p, `${obj.name}._predictors[${i}][${k}]`), nFeatures)),
  );
  const known = new KnownCategories(a.has('_bin_mapper') ? a.object('_bin_mapper') : null, nFeatures);
  const check = featureCheckOf(obj);
  const pre = a.raw('_preprocessor');
  const preprocess = isNone(pre) ? null : readPreprocessor(asObject(pre, `${obj.name}._preprocessor`), nFeatures);
  const columnsOf = (X: Table): Float64Array[] => {
    if (preprocess === null) {
      const columns = numericFeatures(X, { ...check, nFeatures: null }, { allowInfinite: true });
      if (columns.length !== nFeatures) throw new Error(`X has ${columns.length} features but this estimator was trained with ${nFeatures} features.`);
      return columns;
    }
    checkFeatures(X, check);
    return preprocess(X);
  };

  const raw = (X: Table): Float64Array => {
    const columns = columnsOf(X);
    const rows = X.rows;
    const out = new Float64Array(rows * K);
    for (let i = 0; i < rows; i++) out.set(baseline, i * K);
    for (const trees of iterations) trees.forEach((t, k) => t.addTo(columns, rows, known, out, K, k));
    return out;
  };

  if (link === 'identity' || link === 'exp') {
    return {
      name: obj.name,
      predict(X) {
        const r = raw(X);
        if (link === 'exp') for (let i = 0; i < r.length; i++) r[i] = Math.exp(r[i]!);
        return float64Tensor(r, [X.rows]);
      },
    };
  }

  const classes = a.array('classes_');
  const n = classes.size;
  const probaOf = (r: Float64Array, rows: number): Float64Array => {
    if (link === 'multiclass') return softmaxRows(r, K);
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const p = expit(r[i]!);
      out[2 * i + 1] = p;
      out[2 * i] = 1 - p;
    }
    return out;
  };
  // sklearn >= 1.4 decides from the raw scores; before, from argmax(predict_proba).
  const fromRaw = atLeast(versionOf(obj), 1, 4);
  const predict = (X: Table): Tensor => {
    const rows = X.rows;
    const r = raw(X);
    const idx = new Int32Array(rows);
    if (fromRaw) {
      for (let i = 0; i < rows; i++) idx[i] = link === 'binary' ? (r[i]! > 0 ? 1 : 0) : argmax(r, i * K, K);
    } else {
      const p = probaOf(r, rows);
      for (let i = 0; i < rows; i++) idx[i] = argmax(p, i * n, n);
    }
    return takeLabels(classes, idx);
  };
  return {
    name: obj.name,
    predict,
    predictProba: (X) => float64Tensor(probaOf(raw(X), X.rows), [X.rows, n]),
    predictLogProba: (X) => float64Tensor(logInPlace(probaOf(raw(X), X.rows)), [X.rows, n]),
    // the raw scores, raveled for two classes
    decisionFunction: (X) => float64Tensor(raw(X), K === 1 ? [X.rows] : [X.rows, K]),
  };
}

export const histGradientBoosting: EstimatorFamily = {
  classes: [
    `${HGB}.gradient_boosting.HistGradientBoostingClassifier`,
    `${HGB}.gradient_boosting.HistGradientBoostingRegressor`,
  ],
  parts: [
    `${HGB}.predictor.TreePredictor`,
    `${HGB}.binning._BinMapper`,
    ...['LeastSquares', 'LeastAbsoluteDeviation', 'Poisson', 'BinaryCrossEntropy', 'CategoricalCrossEntropy'].map((n) => `${HGB}.loss.${n}`),
    ...SKLEARN_LOSSES,
    // classifiers keep the label encoder they fitted (classes_ is what predict reads)
    'sklearn.preprocessing._label.LabelEncoder',
    // the categorical _preprocessor (1.4+)
    'sklearn.compose._column_transformer.ColumnTransformer',
    'sklearn.preprocessing._encoders.OrdinalEncoder',
    'sklearn.preprocessing._function_transformer.FunctionTransformer',
    'sklearn.utils.validation.check_array',
    'functools.partial',
  ],
  build: buildHistGradientBoosting,
};
