/**
 * Coercing casts with numpy/pandas `astype` semantics (spec §2.5): what MLflow's serving
 * pre-cast does to every schema column, and `np.array(v, dtype)` for `inputs` values.
 * float→int truncates, int32 wraps, anything→bool by truthiness, numbers into a string
 * column stay numbers; a value that cannot convert raises.
 */
import type { Column, DType } from './data.js';
import { isFloatDType, isIntegerDType, isNumericDType } from './data.js';
import { roundFloat16 } from './float16.js';
import type { ScalarType } from './signature.js';

export class CastError extends Error {}

/** The data dtype a scalar MLflow type is held in after the pre-cast. */
export function dtypeOfScalar(type: ScalarType): DType {
  switch (type) {
    case 'boolean': return 'bool';
    case 'integer': return 'int32';
    case 'long': return 'int64';
    case 'float': return 'float32';
    case 'double': return 'float64';
    case 'string': return 'string';
    case 'binary': return 'bytes';
    case 'datetime': return 'datetime';
  }
}

/** A numpy dtype name from a TensorSpec (float32, int64, bool, str, object ...) as our DType. */
export function dtypeOfNumpy(name: string): DType {
  const n = name.replace(/^[<>=|]/, '');
  switch (n) {
    case 'bool': case 'bool_': case '?': return 'bool';
    case 'int8': case 'int16': case 'int32': case 'int64':
    case 'uint8': case 'uint16': case 'uint32': case 'uint64':
    case 'float16': case 'float32': case 'float64':
      return n;
    case 'float': case 'double': case 'f8': return 'float64';
    case 'f4': return 'float32';
    case 'int': case 'i8': return 'int64';
    case 'i4': return 'int32';
    case 'str': case 'str_': case 'unicode': return 'string';
    case 'bytes': case 'bytes_': return 'bytes';
    case 'object': case 'O': return 'object';
  }
  if (/^U\d*$/.test(n)) return 'string';
  if (/^S\d*$/.test(n)) return 'bytes';
  if (n.startsWith('datetime64')) return 'datetime';
  return 'object';
}

/** numpy's name for a DType, as MLflow's messages print it. */
export function numpyName(dtype: DType): string {
  switch (dtype) {
    case 'string': return 'object';
    case 'bytes': return 'object';
    case 'datetime': return 'datetime64[ns]';
    default: return dtype;
  }
}

const INT_BITS: Partial<Record<DType, [number, boolean]>> = {
  int8: [8, true], int16: [16, true], int32: [32, true], int64: [64, true],
  uint8: [8, false], uint16: [16, false], uint32: [32, false], uint64: [64, false],
};

function wrapInt(x: number, dtype: DType): number {
  const spec = INT_BITS[dtype];
  if (spec === undefined || spec[0] === 64) return x;
  const [bits, signed] = spec;
  const mod = 2 ** bits;
  let v = ((x % mod) + mod) % mod;
  if (signed && v >= mod / 2) v -= mod;
  return v;
}

/** Python's float(str): surrounding whitespace, inf/nan spellings, underscores between digits. */
function parsePythonFloat(s: string): number {
  const t = s.trim().replace(/(\d)_(?=\d)/g, '$1');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const l = t.toLowerCase().replace(/^\+/, '');
  if (l === 'nan' || l === '-nan') return NaN;
  if (l === 'inf' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  throw new CastError(`could not convert string to float: '${s}'`);
}

function toFloat(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parsePythonFloat(v);
  throw new CastError(`float() argument must be a string or a real number, not '${pyTypeName(v)}'`);
}

function toInt(v: unknown, fromFloatColumn: boolean): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new CastError(fromFloatColumn ? 'Cannot convert non-finite values (NA or inf) to integer' : 'cannot convert float NaN to integer');
    }
    return Math.trunc(v);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim().replace(/(\d)_(?=\d)/g, '$1');
    if (!/^[+-]?\d+$/.test(t)) throw new CastError(`invalid literal for int() with base 10: '${v}'`);
    return Number(t);
  }
  if (v === null || v === undefined) throw new CastError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  throw new CastError(`int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'`);
}

function truthy(v: unknown): boolean {
  if (typeof v === 'number') return v !== 0; // NaN is truthy in Python
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v === null || v === undefined) return false;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function fromBase64(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/** Cast one cell; `fromDType` is the source column's dtype (pandas errors differ for float columns). */
export function castValue(v: unknown, to: DType, fromDType: DType = 'object'): unknown {
  if (to === 'string' || to === 'object') return v;
  if (to === 'bytes') return fromBase64(v);
  if (to === 'datetime') return castDatetime(v);
  if (to === 'bool') return truthy(v) ? 1 : 0;
  if (isFloatDType(to)) return to === 'float32' ? Math.fround(toFloat(v)) : to === 'float16' ? roundFloat16(toFloat(v)) : toFloat(v);
  if (isIntegerDType(to)) return wrapInt(toInt(v, isFloatDType(fromDType)), to);
  return v;
}

function castDatetime(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const t = typeof v === 'number' ? v / 1e6 : Date.parse(String(v));
  if (Number.isNaN(t)) throw new CastError(`Unknown datetime string format, unable to parse: ${String(v)}`);
  return new Date(t).toISOString().replace('Z', '');
}

/** Cast a whole column (pandas `Series.astype`). */
export function castColumn(col: Column, to: DType): Column {
  if (col.dtype === to) return col;
  const n = col.values.length;
  if (isNumericDType(to)) {
    const out = new Float64Array(n);
    const src = col.values;
    if (src instanceof Float64Array && to === 'float64') {
      out.set(src);
    } else {
      for (let i = 0; i < n; i++) out[i] = castValue(src[i], to, col.dtype) as number;
    }
    return { dtype: to, values: out };
  }
  const out: unknown[] = new Array(n);
  const src = col.values;
  if (src instanceof Float64Array) {
    // numbers cast to str/object stay numbers (pandas object dtype), ints stay ints
    for (let i = 0; i < n; i++) out[i] = castValue(col.dtype === 'bool' ? src[i] === 1 : src[i], to, col.dtype);
  } else {
    for (let i = 0; i < n; i++) out[i] = castValue(src[i], to, col.dtype);
  }
  return { dtype: to, values: out };
}
