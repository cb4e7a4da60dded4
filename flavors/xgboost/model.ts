/**
 * A loaded XGBoost model answering pyfunc predict the way mlflow.xgboost does:
 * - a Booster returns `Booster.predict(DMatrix(df))`: the objective's output, float32;
 * - a scikit-learn estimator returns its `predict(df)`: class labels for classifiers (int64,
 *   or int32 for multi:softmax, as XGBoost does), float32 values for regressors/rankers, using
 *   `best_iteration` when the file has one; `predict_proba` when the model asks for it.
 */
import { MlflowError } from '../../src/errors.js';
import type { LoadedModel } from '../../src/model/flavor.js';
import type { Frame, ModelInput, ModelOutput, Params, Tensor } from '../../src/model/data.js';
import { evaluateMargins, matrixAllocator, releaseEnsemble, worthParallel } from '../trees/evaluate.js';
import { inputMatrix, inputRows, LibraryInputError, objectColumns, parseFloatCell, type FeatureSpec } from '../trees/input.js';
import type { XgbBooster } from './booster.js';
import { softmaxRow, transformMargin } from './objective.js';
import type { SklearnMeta } from './sklearn-meta.js';

export type XgbApi = 'booster' | 'classifier' | 'regressor';
export type PredictMethod = 'predict' | 'predict_proba';

/** Booster.predict / XGBModel.predict arguments flowgate cannot honour. */
const UNSUPPORTED_PARAMS = ['pred_leaf', 'pred_contribs', 'approx_contribs', 'pred_interactions', 'base_margin', 'training'];

export class XgboostModel implements LoadedModel {
  readonly flavor = 'xgboost';
  private readonly features: FeatureSpec;

  constructor(
    readonly booster: XgbBooster,
    readonly api: XgbApi,
    readonly meta: SklearnMeta,
    readonly method: PredictMethod = 'predict',
  ) {
    const missing = api === 'booster' ? NaN : meta.missing;
    this.features = {
      names: booster.featureNames,
      count: booster.ensemble.numFeatures,
      columns: 'names',
      // Booster.predict takes a narrower DMatrix (absent features missing); XGBModel.predict checks the shape.
      fewerColumns: api === 'booster',
      dictError: { name: 'TypeError', message: "Not supported type for data.<class 'dict'>" },
      // DMatrix(list): numpy makes a 1-D array of the dicts
      recordsError: (rows) => ({ name: 'ValueError', message: `('Expecting 2 dimensional numpy.ndarray, got: ', (${rows},))` }),
      // XGBoost reads every input as float32; the sklearn API's `missing` value counts as NaN.
      prepare: Number.isNaN(missing) ? Math.fround : (v) => (v === missing ? NaN : Math.fround(v)),
      checkFrame,
      tensorCell,
      tensorToFloat32: false,
    };
  }

  async predict(input: ModelInput, params: Params): Promise<ModelOutput> {
    for (const name of UNSUPPORTED_PARAMS) {
      if (params[name] !== undefined && params[name] !== null && params[name] !== false) {
        throw new MlflowError('INVALID_PARAMETER_VALUE', `flowgate's xgboost flavor does not support the predict parameter '${name}'`);
      }
    }
    const outputMargin = params.output_margin === true;
    const margins = await this.margins(input, this.iterations(params.iteration_range));
    const { rows, values } = margins;
    const b = this.booster;
    if (this.api === 'booster' || (this.api === 'regressor' && !outputMargin)) {
      return tensor(outputMargin ? { values, shape: shapeOf(rows, b.numOutputs) } : transformMargin(b.objective, values, rows, b.numOutputs), 'float32');
    }
    if (outputMargin) return tensor({ values, shape: shapeOf(rows, b.numOutputs) }, 'float32');
    return this.method === 'predict_proba' ? this.probabilities(values, rows) : this.labels(values, rows);
  }

  async dispose(): Promise<void> {
    releaseEnsemble(this.booster.ensemble);
  }

  private async margins(input: ModelInput, [begin, end]: [number, number]): Promise<{ rows: number; values: Float64Array }> {
    const e = this.booster.ensemble;
    const names = this.booster.featureNames;
    if (this.api === 'booster' && names !== null && input.kind === 'tensor') {
      // Booster.predict(DMatrix(ndarray), validate_features=True): the ndarray has no names.
      throw new LibraryInputError(`training data did not have the following fields: ${names.join(', ')}`);
    }
    if (this.api === 'booster' && input.kind === 'frame' && new Set(input.names).size < input.names.length) {
      // DMatrix(df) takes the frame's labels as its feature names (the sklearn API predicts in place, without them).
      throw new LibraryInputError('feature_names must be unique');
    }
    const parallel = worthParallel(e, inputRows(input));
    const { X, rows } = inputMatrix(input, this.features, matrixAllocator(parallel));
    const treeStart = e.iterationStart[begin]!;
    const treeEnd = e.iterationStart[end]!;
    return { rows, values: await evaluateMargins(e, X, rows, treeStart, treeEnd, this.booster.baseMargin, parallel) };
  }

  /** [begin, end) boosting iterations: the `iteration_range` param, else best_iteration (sklearn API), else all. */
  private iterations(range: unknown): [number, number] {
    const total = this.booster.ensemble.iterationStart.length - 1;
    if (range !== undefined && range !== null) {
      if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => Number.isInteger(v) && v >= 0)) {
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'iteration_range must be a pair of non-negative integers [begin, end)');
      }
      const [begin, end] = range as [number, number];
      if (end !== 0) {
        if (begin > end || end > total) {
          throw new MlflowError('INVALID_PARAMETER_VALUE', `iteration_range [${begin}, ${end}) is outside the model's ${total} iterations`);
        }
        return [begin, end];
      }
    }
    if (this.api !== 'booster' && this.meta.bestIteration !== null) return [0, Math.min(this.meta.bestIteration + 1, total)];
    return [0, total];
  }

  /** XGBClassifier.predict. */
  private labels(margin: Float64Array, rows: number): ModelOutput {
    const b = this.booster;
    const out = new Float64Array(rows);
    if (b.objective === 'multi:softmax') {
      const index = transformMargin(b.objective, margin, rows, b.numOutputs).values;
      return tensor({ values: this.decode(index), shape: [rows] }, this.meta.labelEncoder === null ? 'int32' : this.meta.labelDType);
    }
    if (b.numOutputs > 1) {
      // multi:softprob: the most probable class (softmax keeps the order, the margin suffices).
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let k = 1; k < b.numOutputs; k++) if (margin[r * b.numOutputs + k]! > margin[r * b.numOutputs + best]!) best = k;
        out[r] = best;
      }
    } else {
      const p = transformMargin(b.objective, margin, rows, 1).values;
      for (let r = 0; r < rows; r++) out[r] = p[r]! > 0.5 ? 1 : 0;
    }
    return tensor({ values: this.decode(out), shape: [rows] }, this.meta.labelDType);
  }

  /** XGBClassifier.predict_proba: [rows × classes] float32. */
  private probabilities(margin: Float64Array, rows: number): ModelOutput {
    const b = this.booster;
    if (b.numOutputs > 1) {
      const out = new Float64Array(margin.length);
      if (b.objective === 'multi:softmax' || b.objective === 'multi:softprob') {
        for (let r = 0; r < rows; r++) softmaxRow(margin, out, r * b.numOutputs, b.numOutputs);
      } else {
        out.set(transformMargin(b.objective, margin, rows, b.numOutputs).values);
      }
      return tensor({ values: out, shape: [rows, b.numOutputs] }, 'float32');
    }
    const p = transformMargin(b.objective, margin, rows, 1).values;
    const out = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      out[2 * r] = Math.fround(1 - p[r]!);
      out[2 * r + 1] = p[r]!;
    }
    return tensor({ values: out, shape: [rows, 2] }, 'float32');
  }

  private decode(index: Float64Array): Float64Array {
    const classes = this.meta.labelEncoder;
    if (classes === null) return index;
    return index.map((i) => classes[i] ?? NaN);
  }
}

/**
 * DMatrix(DataFrame) accepts int, float, bool and (with enable_categorical) category columns.
 * MLflow's request frames never hold `category` (strings arrive as object columns, with or
 * without categories stored in the model since XGBoost 3.1), so an object column raises.
 */
function checkFrame(input: Frame): void {
  const bad = objectColumns(input);
  if (bad.length > 0) {
    throw new LibraryInputError(
      'DataFrame.dtypes for data must be int, float, bool or category. When categorical type is supplied, ' +
        `The experimental DMatrix parameter\`enable_categorical\` must be set to \`True\`.  Invalid columns:${bad.join(', ')}`,
    );
  }
}

/** DMatrix(ndarray): a numpy str array (any string cell makes one) raises; object cells convert like float(). */
function tensorCell(v: unknown): number {
  if (typeof v === 'string') throw new LibraryInputError('array_interface.h: Unicode is not supported.', 'XGBoostError');
  return parseFloatCell(v);
}

function shapeOf(rows: number, outputs: number): number[] {
  return outputs === 1 ? [rows] : [rows, outputs];
}

function tensor(p: { values: Float64Array; shape: number[] }, dtype: Tensor['dtype']): ModelOutput {
  return { kind: 'tensor', tensor: { dtype, shape: p.shape, values: p.values } };
}
