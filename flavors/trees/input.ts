/**
 * ModelInput → the row-major float64 matrix the kernel reads, one column per model feature.
 *
 * Columns are matched to the model's feature names when the model has names and the input
 * carries them all; otherwise by position (as numpy data reaches both libraries).
 */
import { invalidInput } from '../../src/errors.js';
import { elementCount, toNumber, type ModelInput, type Values } from '../../src/model/data.js';

export interface FeatureSpec {
  /** The model's feature names, or null when it was trained without any. */
  readonly names: readonly string[] | null;
  readonly count: number;
  /** XGBoost insists on its feature names when it has them; LightGBM goes by position. */
  readonly namesRequired: boolean;
  /** Turns an input value into what the library computes with (float32 rounding, missing markers). */
  readonly prepare: (v: number) => number;
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
  const columns = columnsOf(input);
  const rows = columns.rows;
  const sources = pickColumns(columns.names, columns.values.length, spec).map((i) => columns.values[i]!);
  const nf = spec.count;
  const X = allocate(rows * nf);
  const prepare = spec.prepare;
  sources.forEach((src, j) => {
    if (src instanceof Float64Array && columns.stride === 1) {
      for (let r = 0; r < rows; r++) X[r * nf + j] = prepare(src[r]!);
    } else {
      // A row-major tensor: column j of row r is src[r * stride + offset].
      const stride = columns.stride;
      const offset = columns.stride === 1 ? 0 : columns.offsets[j]!;
      for (let r = 0; r < rows; r++) X[r * nf + j] = prepare(read(src, r * stride + offset));
    }
  });
  return { X, rows };
}

function read(values: Values, i: number): number {
  return values instanceof Float64Array ? values[i]! : toNumber(values[i]);
}

interface Columns {
  names: readonly string[] | null;
  /** One entry per input column (for a tensor: the same buffer for every column). */
  values: Values[];
  rows: number;
  /** 1 for separate columns; the row length for a row-major tensor. */
  stride: number;
  offsets: number[];
}

function columnsOf(input: ModelInput): Columns {
  switch (input.kind) {
    case 'frame':
      return { names: input.names, values: input.columns.map((c) => c.values), rows: input.rows, stride: 1, offsets: [] };
    case 'tensors': {
      const names = Object.keys(input.tensors);
      const values = names.map((n) => input.tensors[n]!.values);
      const lengths = new Set(values.map((v) => v.length));
      if (lengths.size > 1) throw invalidInput('All input arrays must have the same length.');
      return { names, values, rows: values[0]?.length ?? 0, stride: 1, offsets: [] };
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
