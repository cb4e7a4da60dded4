/**
 * What OneHotEncoder and OrdinalEncoder share (sklearn's _BaseEncoder._transform): each input
 * column's values looked up in the fitted `categories_[i]` with Python's equality (1 == 1.0,
 * 'a' != 1, None only matches None, NaN only NaN), unknown values handled as asked, then
 * infrequent categories grouped. A numeric column meets string categories as numpy does: an error.
 */
import type { Column } from '../../../src/model/data.js';
import { Attributes, NDArray, NumpyScalar, PyDict, asSequence, isNone, type PyObject, type PyValue } from '../../../src/pickle/index.js';
import { checkFeatures, featureCheckOf, type FeatureCheck } from '../features.js';
import { isNumericColumn, type Table } from '../table.js';
import { pyStr } from './py-str.js';

/** A hashable identity for a Python value, equal exactly when Python's == would be (for the types inputs carry). */
function keyOf(v: unknown): string | null {
  if (v instanceof NumpyScalar) return keyOf(v.value);
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'boolean') return v ? 'n1' : 'n0';
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : `n${v === 0 ? 0 : v}`;
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('hex')}`;
  return null;
}

/** One feature's fitted categories. */
export class Categories {
  readonly size: number;
  readonly items: readonly PyValue[];
  /** numeric dtype (bool/int/float): a numeric column is compared as numbers */
  readonly numeric: boolean;
  private readonly index = new Map<string, number>();

  constructor(readonly array: NDArray, what: string) {
    if (array.ndim !== 1) throw new TypeError(`${what} is not a 1-D array`);
    this.items = array.items();
    this.size = this.items.length;
    this.numeric = array.data instanceof Float64Array;
    this.items.forEach((v, i) => {
      const key = keyOf(v);
      if (key === null) throw new TypeError(`${what} holds a value flowgate cannot compare (${typeof v})`);
      if (!this.index.has(key)) this.index.set(key, i);
    });
  }

  /** str() of each category, for output feature names. */
  labels(): string[] {
    return this.items.map((v) => pyStr(v, this.array.dtype));
  }

  /** Each value's category index, -1 when unknown. */
  indexOf(column: Column, rows: number): Int32Array {
    const out = new Int32Array(rows);
    const values = column.values;
    if (isNumericColumn(column) && !this.numeric) {
      throw new TypeError("ufunc 'isnan' not supported for the input types, and the inputs could not be safely coerced to any supported types according to the casting rule ''safe''");
    }
    for (let i = 0; i < rows; i++) {
      const key = keyOf(values[i]);
      out[i] = key === null ? -1 : (this.index.get(key) ?? -1);
    }
    return out;
  }

  value(i: number): PyValue {
    return this.items[i]!;
  }
}

export type HandleUnknown = 'error' | 'ignore' | 'infrequent_if_exist' | 'use_encoded_value' | 'warn';

export interface EncoderState {
  readonly name: string;
  readonly categories: Categories[];
  readonly check: FeatureCheck;
  /** per feature: indices of its infrequent categories (null: none, or infrequent grouping off) */
  readonly infrequent: (Float64Array | null)[];
  /** per feature: category index → index after grouping the infrequent ones (null: no grouping) */
  readonly grouping: (Float64Array | null)[];
}

function optionalArrays(a: Attributes, name: string, n: number): (Float64Array | null)[] {
  const v = a.raw(name);
  if (isNone(v)) return new Array<null>(n).fill(null);
  const items = asSequence(v, `${a.obj.name}.${name}`);
  if (items.length !== n) throw new TypeError(`${a.obj.name}.${name} has ${items.length} entries for ${n} features`);
  return items.map((x) => (isNone(x) ? null : (x as NDArray).numbers()));
}

export function encoderStateOf(obj: PyObject): EncoderState {
  const a = new Attributes(obj);
  const categories = a.sequence('categories_').map((c, i) => {
    if (!(c instanceof NDArray)) throw new TypeError(`${obj.name}.categories_[${i}] is not an array`);
    return new Categories(c, `${obj.name}.categories_[${i}]`);
  });
  const enabled = a.raw('_infrequent_enabled') === true;
  const n = categories.length;
  const check = featureCheckOf(obj);
  return {
    name: obj.name,
    categories,
    check: { ...check, nFeatures: check.nFeatures ?? n },
    infrequent: enabled ? optionalArrays(a, '_infrequent_indices', n) : new Array<null>(n).fill(null),
    grouping: enabled ? optionalArrays(a, '_default_to_infrequent_mappings', n) : new Array<null>(n).fill(null),
  };
}

export interface Encoded {
  /** per feature: each row's category index (after infrequent grouping) */
  readonly codes: Int32Array[];
  /** per feature: 1 where the value was known (or mapped to the infrequent category) */
  readonly known: Uint8Array[];
}

function describeUnknown(values: Column['values'], codes: Int32Array): string {
  const seen = new Map<string, string>();
  codes.forEach((c, i) => {
    if (c >= 0) return;
    const v = values[i];
    const key = keyOf(v) ?? String(v);
    if (!seen.has(key)) seen.set(key, typeof v === 'string' ? `'${v}'` : v === null || v === undefined ? 'None' : Number.isNaN(v) ? 'nan' : String(v));
  });
  return `[${[...seen.values()].join(', ')}]`;
}

/** The input columns as sklearn's encoders validate them: names and count as fitted, no infinity in numbers. */
function checkedColumns(state: EncoderState, X: Table): readonly Column[] {
  checkFeatures(X, state.check);
  for (const c of X.columns) {
    if (!isNumericColumn(c)) continue;
    const values = c.values as Float64Array;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === Infinity || values[i] === -Infinity) throw new Error("Input contains infinity or a value too large for dtype('float64').");
    }
  }
  return X.columns;
}

/**
 * `_transform` then `_map_infrequent_categories`: codes per feature and the known mask.
 * `keepCodes`: per feature, a code never grouped (OrdinalEncoder's missing-value category).
 */
export function encodeColumns(state: EncoderState, X: Table, handleUnknown: HandleUnknown, keepCodes: ReadonlyMap<number, number> = new Map()): Encoded {
  const columns = checkedColumns(state, X);
  const codes: Int32Array[] = [];
  const known: Uint8Array[] = [];
  columns.forEach((column, f) => {
    const cats = state.categories[f]!;
    const c = cats.indexOf(column, X.rows);
    const mask = new Uint8Array(X.rows).fill(1);
    if (c.some((v) => v < 0)) {
      if (handleUnknown === 'error') throw new Error(`Found unknown categories ${describeUnknown(column.values, c)} in column ${f} during transform`);
      for (let i = 0; i < X.rows; i++) {
        if (c[i]! < 0) {
          mask[i] = 0;
          c[i] = 0; // sklearn encodes them as categories_[f][0], then masks them
        }
      }
    }
    const infrequent = state.infrequent[f];
    if (infrequent !== null && infrequent !== undefined) {
      for (let i = 0; i < X.rows; i++) if (mask[i] === 0) c[i] = infrequent[0]!;
      if (handleUnknown === 'infrequent_if_exist' || handleUnknown === 'warn') mask.fill(1);
    }
    const grouping = state.grouping[f];
    if (grouping !== null && grouping !== undefined) {
      const keep = keepCodes.get(f);
      for (let i = 0; i < X.rows; i++) if (c[i] !== keep) c[i] = grouping[c[i]!]!;
    }
    codes.push(c);
    known.push(mask);
  });
  return { codes, known };
}

/** `_missing_indices` (OrdinalEncoder): feature → index of its None/NaN category. */
export function missingIndices(obj: PyObject): Map<number, number> {
  const v = obj.get('_missing_indices');
  const out = new Map<number, number>();
  if (v instanceof PyDict) for (const [k, i] of v.entries()) out.set(Number(k), Number(i));
  return out;
}

/** The names sklearn's encoders read their input columns by (feature_names_in_, else x0, x1...). */
export function inputFeatureNames(state: EncoderState): string[] {
  return state.check.featureNames !== null ? [...state.check.featureNames] : state.categories.map((_, i) => `x${i}`);
}
