/**
 * What sklearn methods receive and transformers return: a 2-D table of columns, either a
 * pandas DataFrame (named columns, as MLflow passes a column-signature input) or an ndarray
 * (names null: a tensor input, or a transformer's output). Columnar like flowgate's Frame, so
 * a request's columns reach the first estimator without copying.
 */
import { isNumericDType, toNumber, type Column, type Frame, type ModelInput } from '../../src/model/data.js';

export interface Table {
  readonly rows: number;
  /** DataFrame column labels; null for an ndarray (no feature names). */
  readonly names: readonly string[] | null;
  /** A DataFrame whose labels are pandas integers: no feature names to scikit-learn's checks. */
  readonly integerLabels?: boolean;
  readonly columns: readonly Column[];
}

/**
 * A transformer's numeric output: an ndarray, or a DataFrame named `names` when the
 * transformer was set to pandas output (`set_output(transform="pandas")`).
 */
export function numericTable(columns: Float64Array[], rows: number, dtype: 'float64' | 'float32' = 'float64', names: readonly string[] | null = null): Table {
  return { rows, names, columns: columns.map((values) => ({ dtype, values })) };
}

/** Every column is float32 (numpy keeps float32 through transformers that accept any float dtype). */
export function isFloat32Table(X: Table): boolean {
  return X.columns.length > 0 && X.columns.every((c) => c.dtype === 'float32');
}

/**
 * The model input as sklearn sees it: a Frame is a DataFrame (unless it is MLflow's list of
 * records, Frame.recordsList, which sklearn refuses); a 2-D tensor an ndarray.
 */
export function tableFromInput(input: ModelInput): Table {
  if (input.kind === 'frame' && input.recordsList === true) {
    // A Python list of dicts: check_array's np.asarray(X, dtype=float) refuses it.
    throw new Error("float() argument must be a string or a real number, not 'dict'");
  }
  if (input.kind === 'frame') {
    const table = { rows: input.rows, names: input.names, columns: input.columns };
    return input.integerLabels ? { ...table, integerLabels: true } : table;
  }
  if (input.kind === 'tensors') {
    throw new Error('a scikit-learn model takes one 2-D array or a DataFrame, not a dict of named arrays');
  }
  const { shape, values, dtype } = input.tensor;
  if (shape.length !== 2) {
    throw new Error(`Expected 2D array, got ${shape.length === 1 ? '1D' : `${shape.length}D`} array instead`);
  }
  const [rows, cols] = shape as [number, number];
  const columns: Column[] = [];
  for (let j = 0; j < cols; j++) {
    if (values instanceof Float64Array) {
      const col = new Float64Array(rows);
      for (let i = 0; i < rows; i++) col[i] = values[i * cols + j]!;
      columns.push({ dtype, values: col });
    } else {
      const col = new Array<unknown>(rows);
      for (let i = 0; i < rows; i++) col[i] = values[i * cols + j];
      columns.push({ dtype, values: col });
    }
  }
  return { rows, names: null, columns };
}

/** The numbers of one column as numpy's astype(float) gives them; a non-numeric string fails as numpy does. */
export function numericColumn(column: Column): Float64Array {
  if (column.values instanceof Float64Array) return column.values;
  const values = column.values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = toNumber(v);
    if (Number.isNaN(n) && typeof v === 'string' && !/^\s*[+-]?nan\s*$/i.test(v)) {
      throw new Error(`could not convert string to float: '${v}'`);
    }
    if (Number.isNaN(n) && typeof v === 'object' && v !== null) {
      throw new Error(`float() argument must be a string or a real number, not '${Array.isArray(v) ? 'list' : typeof v}'`);
    }
    out[i] = n;
  }
  return out;
}

export function isNumericColumn(column: Column): boolean {
  return isNumericDType(column.dtype) && column.values instanceof Float64Array;
}
