/**
 * Building columns and tensors from parsed JSON values the way pandas and numpy infer
 * dtypes: ints stay int64 until a float or a null (NaN) turns the column float64, booleans
 * are bool only when alone, strings and mixtures are object.
 */
import type { Column, DType, Tensor } from './data.js';
import { castValue, CastError } from './cast.js';
import { isNumericDType } from './data.js';

/** pandas' dtype for a column of Python values. */
export function inferDType(values: readonly unknown[]): DType {
  let ints = 0, floats = 0, bools = 0, strings = 0, nulls = 0, other = 0;
  for (const v of values) {
    if (v === null || v === undefined) nulls++;
    else if (typeof v === 'number') Number.isInteger(v) ? ints++ : floats++;
    else if (typeof v === 'boolean') bools++;
    else if (typeof v === 'string') strings++;
    else other++;
  }
  const n = values.length;
  if (n === 0) return 'object';
  if (other > 0) return 'object';
  if (strings > 0) return strings + nulls === n ? 'string' : 'object';
  if (bools > 0) return bools === n ? 'bool' : 'object';
  if (ints + floats === 0) return 'object'; // all null
  if (floats > 0 || nulls > 0) return 'float64';
  return 'int64';
}

export function columnFromValues(values: unknown[]): Column {
  const dtype = inferDType(values);
  if (!isNumericDType(dtype)) return { dtype, values };
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? NaN : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
  }
  return { dtype, values: out };
}

/** numpy 2's NPY_MAXDIMS: deeper nesting is refused before any recursion over it. */
const MAX_DIMS = 64;

/** numpy's np.array(value[, dtype]) for nested JSON lists: rectangular or an error. */
export function tensorFromNested(value: unknown, dtype?: DType): Tensor {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_DIMS) {
      throw new CastError(`setting an array element with a sequence. The requested array would exceed the maximum number of dimension of ${MAX_DIMS}.`);
    }
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: unknown[] = [];
  const walk = (v: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new CastError(inhomogeneous(shape, dim));
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) throw new CastError(inhomogeneous(shape, dim));
    for (const x of v) walk(x, dim + 1);
  };
  walk(value, 0);
  const target = dtype ?? inferDType(flat);
  if (!isNumericDType(target)) {
    const values = dtype === undefined ? flat : flat.map((v) => castValue(v, target));
    return { dtype: target, shape, values };
  }
  const out = new Float64Array(flat.length);
  const float32 = target === 'float32';
  const float = float32 || target === 'float64';
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (float && typeof v === 'number') out[i] = float32 ? Math.fround(v) : v; // the common case, without the general cast
    else out[i] = dtype === undefined && (v === null || v === undefined) ? NaN : (castValue(v ?? null, target) as number);
  }
  return { dtype: target, shape, values: out };
}

function inhomogeneous(shape: number[], dim: number): string {
  return (
    'setting an array element with a sequence. The requested array has an inhomogeneous shape after ' +
    `${dim} dimensions. The detected shape was (${shape.slice(0, dim).join(', ')}${dim === 1 ? ',' : ''}) + inhomogeneous part.`
  );
}
