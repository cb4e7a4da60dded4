/**
 * ModelInput → the row-major float64 matrix the kernel reads, one column per model feature.
 *
 * Columns are matched to the model's feature names when the model has names and the input
 * carries them all; otherwise by position (as numpy data reaches both libraries).
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
  /** XGBoost insists on its feature names when it has them; LightGBM goes by position. */
  readonly namesRequired: boolean;
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
  if (input.kind === 'frame') spec.checkFrame(input);
  const columns = columnsOf(input);
  const rows = columns.rows;
  const sources = pickColumns(columns.names, columns.values.length, spec).map((i) => columns.values[i]!);
  const nf = spec.count;
  const X = allocate(rows * nf);
  const cast = columns.dtype !== null && spec.tensorToFloat32 && columns.dtype !== 'float32' && columns.dtype !== 'float64';
  const prepare = cast ? (v: number) => spec.prepare(Math.fround(v)) : spec.prepare;
  const cell = spec.tensorCell;
  sources.forEach((src, j) => {
    if (src instanceof Float64Array && columns.stride === 1) {
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

function columnsOf(input: ModelInput): Columns {
  switch (input.kind) {
    case 'frame':
      return { names: input.names, values: input.columns.map((c) => c.values), rows: input.rows, stride: 1, offsets: [], dtype: null };
    case 'tensors': {
      const names = Object.keys(input.tensors);
      const values = names.map((n) => input.tensors[n]!.values);
      const lengths = new Set(values.map((v) => v.length));
      if (lengths.size > 1) throw invalidInput('All input arrays must have the same length.');
      return { names, values, rows: values[0]?.length ?? 0, stride: 1, offsets: [], dtype: null };
    }
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

/** Index of the input column that feeds each model feature. */
function pickColumns(inputNames: readonly string[] | null, inputCount: number, spec: FeatureSpec): number[] {
  const model = spec.names;
  if (model !== null && inputNames !== null) {
    const where = new Map(inputNames.map((n, i) => [n, i]));
    const picked = model.map((n) => where.get(n) ?? -1);
    if (picked.every((i) => i >= 0)) return picked;
    if (spec.namesRequired) {
      const missing = model.filter((_, j) => picked[j]! < 0);
      throw invalidInput(
        `feature_names mismatch: the model expects ${quoteList(model)}; the input lacks ${quoteList(missing)}.`,
      );
    }
  }
  if (inputCount !== spec.count) {
    throw invalidInput(`The model expects ${spec.count} features, but the input has ${inputCount} columns.`);
  }
  return Array.from({ length: spec.count }, (_, j) => j);
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
