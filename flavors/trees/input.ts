/**
 * ModelInput → the row-major float64 matrix the kernel reads, one column per model feature.
 *
 * Columns are read as each library reads the DataFrame or ndarray MLflow hands it (a signature has
 * already made the frame the schema's columns in the schema's order): XGBoost insists on its own
 * feature names in its own order (a reordered, extended or renamed frame raises); LightGBM reads
 * every input by position and ignores names. Neither library reorders columns by name, so neither
 * does flowgate. A dict of columns (`inputs` as an object, without a signature) reaches both as a
 * Python dict, and a list of records (`inputs` as a list of objects) as a Python list of dicts:
 * both libraries refuse both.
 *
 * Data the library cannot read as numbers is never read as missing: MLflow hands the model a
 * pandas DataFrame whose string columns are `object` (never `category`), and an ndarray whose
 * strings are numpy `str`; each library's own check on those (FeatureSpec.checkFrame and
 * tensorCell) raises, and so does flowgate, with the library's message.
 */
import { invalidInput } from '../../src/errors.js';
import { castValue } from '../../src/model/cast.js';
import { elementCount, isNumericDType, type Column, type DType, type Frame, type ModelInput, type Values } from '../../src/model/data.js';

export interface FeatureSpec {
  /** The model's feature names, or null when it was trained without any. */
  readonly names: readonly string[] | null;
  readonly count: number;
  /**
   * 'names': a DataFrame must carry exactly the model's feature names in the model's order
   * (XGBoost's validate_features); 'position': column j feeds feature j whatever its name (LightGBM).
   */
  readonly columns: 'names' | 'position';
  /** XGBoost's Booster reads an input narrower than the model with the absent trailing features missing. */
  readonly fewerColumns: boolean;
  /** What the library raises for a dict of columns (Python's TypeError/ValueError text). */
  readonly dictError: { name: string; message: string };
  /** What the library raises for a list of dicts (`inputs` as records, without a signature: Frame.recordsList). */
  readonly recordsError: (rows: number) => { name: string; message: string };
  /** Turns an input value into what the library computes with (float32 rounding, missing markers). */
  readonly prepare: (v: number) => number;
  /** Raises what the library raises for this DataFrame (object columns, pandas categories). */
  readonly checkFrame: (input: Frame) => void;
  /** A cell of an ndarray that is not numeric (a numpy str/object array) as the library converts it; throws where it raises. */
  readonly tensorCell: (v: unknown) => number;
  /** LightGBM casts an ndarray of any dtype but float32/float64 to float32 before predicting. */
  readonly tensorToFloat32: boolean;
}

/**
 * An error the model library itself raises for the request data (Python's ValueError):
 * MLflow answers it with its generic 400, the library's message in `stack_trace`.
 */
export class LibraryInputError extends Error {
  constructor(message: string, name = 'ValueError') {
    super(message);
    this.name = name;
  }
}

/** The input's columns whose dtype is not numeric (pandas `object`), as `name: object` for messages. */
export function objectColumns(input: Frame): string[] {
  return input.names.filter((_, j) => !isNumericDType(input.columns[j]!.dtype)).map((n) => `${n}: object`);
}

/**
 * A cell of a numpy str/object ndarray as `astype(float)` reads it (Python's float(): numbers as
 * text, nan/inf spellings; None is NaN); anything else raises as numpy does.
 */
export function parseFloatCell(v: unknown): number {
  return castValue(v, 'float64') as number;
}

export interface InputMatrix {
  readonly X: Float64Array;
  readonly rows: number;
}

/** Rows of the batch (before building its matrix, to choose where the matrix goes). */
export function inputRows(input: ModelInput): number {
  switch (input.kind) {
    case 'frame': return input.rows;
    case 'tensor': return input.tensor.shape[0] ?? 0;
    case 'tensors': return Object.values(input.tensors)[0]?.values.length ?? 0;
  }
}

/** `allocate` lets large batches land directly in shared memory for the worker threads. */
export function inputMatrix(
  input: ModelInput,
  spec: FeatureSpec,
  allocate: (length: number) => Float64Array = (n) => new Float64Array(n),
): InputMatrix {
  if (input.kind === 'frame' && input.recordsList === true) {
    const error = spec.recordsError(input.rows);
    throw new LibraryInputError(error.message, error.name);
  }
  if (input.kind === 'frame') spec.checkFrame(input);
  const columns = columnsOf(input, spec);
  const rows = columns.rows;
  const sources = pickColumns(columns.names, columns.values.length, spec).map((i) => (i < 0 ? null : columns.values[i]!));
  const nf = spec.count;
  const X = allocate(rows * nf);
  const cast = columns.dtype !== null && spec.tensorToFloat32 && columns.dtype !== 'float32' && columns.dtype !== 'float64';
  const prepare = cast ? (v: number) => spec.prepare(Math.fround(v)) : spec.prepare;
  const cell = spec.tensorCell;
  sources.forEach((src, j) => {
    if (src === null) {
      for (let r = 0; r < rows; r++) X[r * nf + j] = NaN;
    } else if (src instanceof Float64Array && columns.stride === 1) {
      for (let r = 0; r < rows; r++) X[r * nf + j] = prepare(src[r]!);
    } else {
      // A row-major tensor: column j of row r is src[r * stride + offset].
      const stride = columns.stride;
      const offset = columns.stride === 1 ? 0 : columns.offsets[j]!;
      for (let r = 0; r < rows; r++) {
        const i = r * stride + offset;
        X[r * nf + j] = prepare(src instanceof Float64Array ? src[i]! : cell(src[i]));
      }
    }
  });
  return { X, rows };
}

interface Columns {
  names: readonly string[] | null;
  /** One entry per input column (for a tensor: the same buffer for every column). */
  values: Values[];
  rows: number;
  /** 1 for separate columns; the row length for a row-major tensor. */
  stride: number;
  offsets: number[];
  /** The ndarray's dtype (a single tensor), else null. */
  dtype: DType | null;
}

function columnsOf(input: ModelInput, spec: FeatureSpec): Columns {
  switch (input.kind) {
    case 'frame':
      return { names: input.names, values: input.columns.map((c) => c.values), rows: input.rows, stride: 1, offsets: [], dtype: null };
    case 'tensors':
      // MLflow hands the model the dict itself (no signature made it a DataFrame).
      throw new LibraryInputError(spec.dictError.message, spec.dictError.name);
    case 'tensor': {
      const { shape, values } = input.tensor;
      if (shape.length !== 2) {
        throw invalidInput(`Expecting a 2-dimensional array of rows of features, got shape (${shape.join(', ')}).`);
      }
      const [rows, cols] = shape as [number, number];
      if (values.length !== elementCount(shape)) throw invalidInput('The array does not match its shape.');
      return {
        names: null,
        values: new Array<Values>(cols).fill(values),
        rows,
        stride: cols,
        offsets: Array.from({ length: cols }, (_, j) => j),
        dtype: input.tensor.dtype,
      };
    }
  }
}

/** Index of the input column that feeds each model feature; -1: the feature is missing. */
function pickColumns(inputNames: readonly string[] | null, inputCount: number, spec: FeatureSpec): number[] {
  const model = spec.names;
  if (spec.columns === 'names' && model !== null && inputNames !== null) {
    const same = inputNames.length === model.length && model.every((n, j) => inputNames[j] === n);
    if (!same) {
      const absent = model.filter((n) => !inputNames.includes(n));
      const unknown = inputNames.filter((n) => !model.includes(n));
      throw new LibraryInputError(
        `feature_names mismatch: ${quoteList(model)} ${quoteList(inputNames)}` +
          (absent.length > 0 ? `\nexpected ${absent.join(', ')} in input data` : '') +
          (unknown.length > 0 ? `\ntraining data did not have the following fields: ${unknown.join(', ')}` : ''),
      );
    }
  }
  if (inputCount === spec.count || (inputCount < spec.count && spec.fewerColumns)) {
    return Array.from({ length: spec.count }, (_, j) => (j < inputCount ? j : -1));
  }
  throw new LibraryInputError(`The number of features in data (${inputCount}) is not the same as it was in training data (${spec.count}).`);
}

function quoteList(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => `'${n}'`);
  return `[${shown.join(', ')}${names.length > 20 ? `, … (${names.length} in all)` : ''}]`;
}

/**
 * A 2-D table handed on by another model (a scikit-learn pipeline step): named columns are a
 * DataFrame, unnamed ones an ndarray, which the libraries read differently (see FeatureSpec).
 */
export function tableInput(rows: number, names: readonly string[] | null, columns: readonly Column[]): ModelInput {
  if (names !== null) return { kind: 'frame', rows, names: [...names], columns: [...columns] };
  const cols = columns.length;
  const dtypes = new Set(columns.map((c) => c.dtype));
  const numeric = columns.every((c) => c.values instanceof Float64Array);
  const values: Values = numeric ? new Float64Array(rows * cols) : new Array<unknown>(rows * cols);
  columns.forEach((c, j) => {
    for (let r = 0; r < rows; r++) values[r * cols + j] = c.values[r];
  });
  const dtype: DType = dtypes.size === 1 ? columns[0]!.dtype : numeric ? 'float64' : 'object';
  return { kind: 'tensor', tensor: { dtype, shape: [rows, cols], values } };
}
