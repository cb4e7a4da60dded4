/**
 * The data that flows between the protocol codec, schema enforcement and the flavors.
 *
 * Columnar, never per-row objects: a Frame is named columns of one length (a pandas
 * DataFrame), a Tensor is a row-major n-d array (a numpy ndarray). Numeric data always
 * lives in a Float64Array (NaN marks a missing value; float32 data is already rounded
 * with Math.fround; int64 is exact up to 2^53), whatever its dtype tag says, so every
 * consumer reads numbers one way. Strings, bytes and mixed data live in plain arrays.
 */

export type NumericDType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64';

/** numpy dtype names. 'string' is numpy's str (pandas object of str); 'object' is mixed. */
export type DType = NumericDType | 'string' | 'bytes' | 'datetime' | 'object';

export type Values = Float64Array | unknown[];

export interface Column {
  readonly dtype: DType;
  /** Float64Array for numeric dtypes; an array (string | null | ...) otherwise. */
  readonly values: Values;
}

export interface Frame {
  readonly kind: 'frame';
  /** Column labels in order. Integer labels (a header-less frame) are their decimal strings. */
  readonly names: string[];
  /**
   * The labels are pandas integers (no `columns`, list records, or numbers as `columns`): a
   * DataFrame without feature names for scikit-learn, whose name checks then do not apply.
   */
  readonly integerLabels?: boolean;
  /**
   * `inputs` was a list of records and the model has no signature: MLflow hands the model that
   * Python list of dicts itself, not a DataFrame, and the native libraries (XGBoost, LightGBM,
   * scikit-learn) refuse it. A signature's enforcement makes a DataFrame of it (a new Frame).
   */
  readonly recordsList?: boolean;
  readonly columns: Column[];
  readonly rows: number;
}

export interface Tensor {
  readonly dtype: DType;
  readonly shape: number[];
  /** Row-major (C order) elements; length = product of shape. */
  readonly values: Values;
}

/** A single unnamed ndarray. */
export interface TensorInput {
  readonly kind: 'tensor';
  readonly tensor: Tensor;
}

/** A dict of named ndarrays. */
export interface TensorsInput {
  readonly kind: 'tensors';
  readonly tensors: Record<string, Tensor>;
}

/** A pandas Series: serialised by MLflow as records `[{name: v}, ...]`. */
export interface SeriesOutput {
  readonly kind: 'series';
  readonly name: string;
  readonly column: Column;
}

/** Any JSON-able value returned as-is (lists, dicts, scalars). */
export interface JsonOutput {
  readonly kind: 'json';
  readonly value: unknown;
}

export type ModelInput = Frame | TensorInput | TensorsInput;
export type ModelOutput = Frame | TensorInput | TensorsInput | SeriesOutput | JsonOutput;

export type Params = Record<string, unknown>;

const NUMERIC: ReadonlySet<DType> = new Set<DType>([
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64',
]);

export function isNumericDType(dtype: DType): dtype is NumericDType {
  return NUMERIC.has(dtype);
}

export function isIntegerDType(dtype: DType): boolean {
  return dtype.startsWith('int') || dtype.startsWith('uint');
}

export function isFloatDType(dtype: DType): boolean {
  return dtype.startsWith('float');
}

export function frame(names: string[], columns: Column[]): Frame {
  const rows = columns.length === 0 ? 0 : columns[0]!.values.length;
  return { kind: 'frame', names, columns, rows };
}

export function column(frameValue: Frame, name: string): Column | undefined {
  const i = frameValue.names.indexOf(name);
  return i < 0 ? undefined : frameValue.columns[i];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The frame's columns as one row-major float64 matrix (what numpy's `df.values.astype(float)`
 * gives a numeric model): None is NaN, numbers as text parse, any other cell raises as numpy does.
 */
export function frameToMatrix(input: Frame, names: readonly string[] = input.names): Float64Array {
  const rows = input.rows;
  const cols = names.length;
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const col = column(input, names[j]!);
    if (col === undefined) throw new Error(`missing column ${names[j]}`);
    const values = col.values;
    if (values instanceof Float64Array) {
      for (let i = 0; i < rows; i++) out[i * cols + j] = values[i]!;
    } else {
      for (let i = 0; i < rows; i++) out[i * cols + j] = floatOfCell(values[i]);
    }
  }
  return out;
}

function floatOfCell(v: unknown): number {
  const n = toNumber(v);
  if (Number.isNaN(n) && v !== null && v !== undefined && typeof v !== 'number' && !/^\s*[+-]?nan\s*$/i.test(String(v))) {
    throw new Error(typeof v === 'string' ? `ValueError: could not convert string to float: '${v}'` : `TypeError: float() argument must be a string or a real number, not '${Array.isArray(v) ? 'list' : typeof v}'`);
  }
  return n;
}

/** numpy's float() of a cell: numbers and booleans convert, numeric strings parse, the rest is NaN. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim().replace(/(\d)_(?=\d)/g, '$1');
    // Python's float() reads decimal forms only (JavaScript's Number also reads '', 0x1A, 0b1, 0o7).
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
    return parseSpecialFloat(t);
  }
  return NaN;
}

function parseSpecialFloat(s: string): number {
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  if (l === 'inf' || l === 'infinity' || l === '+inf' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return NaN;
}
