/**
 * A loaded LightGBM model answering pyfunc predict as mlflow.lightgbm does (`model.predict(df)`):
 * - a Booster returns float64 predictions, [n] or [n, classes];
 * - an LGBMClassifier returns class labels (predict) or [n, classes] probabilities
 *   (predict_proba); an LGBMRegressor/LGBMRanker returns float64 values.
 */
import type { LoadedModel } from '../../src/model/flavor.js';
import type { DType, Frame, ModelInput, ModelOutput } from '../../src/model/data.js';
import { evaluateMargins, matrixAllocator, releaseEnsemble, worthParallel } from '../trees/evaluate.js';
import { inputMatrix, inputRows, LibraryInputError, objectColumns, parseFloatCell, type FeatureSpec } from '../trees/input.js';
import { convertOutput } from './objective.js';
import type { LgbBooster } from './text-model.js';

export type LgbApi = 'booster' | 'classifier' | 'regressor';
export type PredictMethod = 'predict' | 'predict_proba';

export interface LgbEstimator {
  readonly api: LgbApi;
  /** Fitted classes of a classifier (labels are classes[argmax]); null for a booster. */
  readonly classes: readonly (number | string | boolean)[] | null;
  /** Iterations to use (the fitted estimator's best_iteration); null or <= 0: all. */
  readonly numIteration: number | null;
  readonly method: PredictMethod;
}

/** LightGBM's C API drops inputs within ±kZeroThreshold (1e-35f), so they reach the trees as 0. */
const ZERO_THRESHOLD = Math.fround(1e-35);

const BOOSTER: LgbEstimator = { api: 'booster', classes: null, numIteration: null, method: 'predict' };

export class LightgbmModel implements LoadedModel {
  readonly flavor = 'lightgbm';
  private readonly features: FeatureSpec;

  constructor(
    readonly booster: LgbBooster,
    readonly estimator: LgbEstimator = BOOSTER,
  ) {
    this.features = {
      names: booster.featureNames.length > 0 ? booster.featureNames : null,
      count: booster.ensemble.numFeatures,
      columns: 'position',
      fewerColumns: false,
      dictError: estimator.api === 'booster'
        ? { name: 'TypeError', message: 'Cannot predict data for type dict' }
        : { name: 'ValueError', message: 'Expected 2D array, got scalar array instead: array=<dict>' },
      recordsError: () => estimator.api === 'booster'
        ? { name: 'ValueError', message: 'Input numpy.ndarray or list must be 2 dimensional' }
        : { name: 'TypeError', message: 'Unable to find the number of features from X of type list where the samples are of type dict' },
      prepare: (v) => (v <= ZERO_THRESHOLD && v >= -ZERO_THRESHOLD ? 0 : v),
      checkFrame: (input) => checkFrame(input, booster.pandasCategorical),
      tensorCell: estimator.api === 'booster' ? parseFloatCell : checkedArrayCell,
      tensorToFloat32: true,
    };
  }

  async predict(input: ModelInput): Promise<ModelOutput> {
    const b = this.booster;
    const k = b.numOutputs;
    const scores = await this.scores(input);
    const rows = scores.length / k;
    const shape = k === 1 ? [rows] : [rows, k];
    if (this.estimator.api !== 'classifier') return tensor(scores, shape, 'float64');
    if (this.estimator.method === 'predict_proba') {
      if (k > 1) return tensor(scores, shape, 'float64');
      const both = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        both[2 * r] = 1 - scores[r]!;
        both[2 * r + 1] = scores[r]!;
      }
      return tensor(both, [rows, 2], 'float64');
    }
    return this.labels(scores, rows, k);
  }

  async dispose(): Promise<void> {
    releaseEnsemble(this.booster.ensemble);
  }

  /** Booster.predict(X, num_iteration, raw_score): scores [rows × outputs]. */
  async scores(input: ModelInput, numIteration = this.estimator.numIteration, raw = false): Promise<Float64Array> {
    const b = this.booster;
    const e = b.ensemble;
    const total = e.iterationStart.length - 1;
    const iterations = numIteration !== null && numIteration > 0 && numIteration < total ? numIteration : total;
    const parallel = worthParallel(e, inputRows(input));
    const { X, rows } = inputMatrix(input, this.features, matrixAllocator(parallel));
    const zero = new Float64Array(b.numOutputs);
    const scores = await evaluateMargins(e, X, rows, 0, e.iterationStart[iterations]!, zero, parallel);
    if (raw) return scores;
    // LightGBM averages rf forests only for converted predictions (PredictRaw sums).
    if (b.averageOutput && iterations > 0) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / iterations;
    convertOutput(b.objective, scores, b.numOutputs);
    return scores;
  }

  /** LGBMClassifier.predict: classes[argmax(predict_proba)] (the first class on ties). */
  private labels(scores: Float64Array, rows: number, k: number): ModelOutput {
    const classes = this.estimator.classes ?? [];
    const index = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (k === 1) {
        index[r] = scores[r]! > 1 - scores[r]! ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let c = 1; c < k; c++) if (scores[r * k + c]! > scores[r * k + best]!) best = c;
      index[r] = best;
    }
    if (classes.every((c) => typeof c === 'number' || typeof c === 'boolean')) {
      const values = Float64Array.from(index, (i) => Number(classes[i] ?? i));
      const dtype = classes.length > 0 && classes.every((c) => typeof c === 'boolean') ? 'bool' : classes.every(Number.isInteger) ? 'int64' : 'float64';
      return tensor(values, [rows], dtype);
    }
    const values = Array.from(index, (i) => classes[i]);
    return { kind: 'tensor', tensor: { dtype: classes.every((c) => typeof c === 'string') ? 'string' : 'object', shape: [rows], values } };
  }
}

/**
 * LightGBM's `_data_from_pandas` + `_pandas_to_numpy` on the DataFrame MLflow passes: a model
 * trained on pandas `category` columns needs the same number of `category` columns, which a
 * served request never has (MLflow builds its columns as object or numbers), so it raises;
 * any object column raises too.
 */
function checkFrame(input: Frame, pandasCategorical: readonly (readonly unknown[])[] | null): void {
  if (pandasCategorical !== null && pandasCategorical.length > 0) {
    throw new LibraryInputError('train and valid dataset categorical_feature do not match.');
  }
  const bad = objectColumns(input);
  if (bad.length > 0) throw new LibraryInputError(`pandas dtypes must be int, float or bool.\nFields with bad pandas dtypes: ${bad.join(', ')}`);
}

/** The sklearn API first runs check_array(X, dtype="numeric"), which refuses str arrays (scikit-learn >= 1.2). */
function checkedArrayCell(v: unknown): number {
  if (typeof v === 'string') {
    throw new LibraryInputError("dtype='numeric' is not compatible with arrays of bytes/strings.Convert your data to numeric values explicitly instead.");
  }
  return parseFloatCell(v);
}

function tensor(values: Float64Array, shape: number[], dtype: DType): ModelOutput {
  return { kind: 'tensor', tensor: { dtype, shape, values } };
}
