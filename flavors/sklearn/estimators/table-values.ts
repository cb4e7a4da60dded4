/**
 * How numpy sees a table's values once they are one array: the common dtype numpy gives
 * columns stacked together (`np.asarray(df)`, `np.hstack`), and Python's == between two values.
 */
import { isNumericDType, type Column, type DType, type NumericDType } from '../../../src/model/data.js';

const BITS: Record<NumericDType, number> = {
  bool: 1, int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32, int64: 64, uint64: 64, float16: 16, float32: 32, float64: 64,
};

function isFloat(t: NumericDType): boolean {
  return t.startsWith('float');
}

function float(bits: number): NumericDType {
  return bits <= 16 ? 'float16' : bits <= 32 ? 'float32' : 'float64';
}

/** numpy's result_type of two numeric dtypes. */
function promote(a: NumericDType, b: NumericDType): NumericDType {
  if (a === b || b === 'bool') return a;
  if (a === 'bool') return b;
  if (isFloat(a) || isFloat(b)) {
    const [f, other] = isFloat(a) ? [a, b] : [b, a];
    // an integer needs a float whose mantissa holds it: 8 bits in float16, 16 in float32, more in float64
    const need = isFloat(other) ? BITS[other] : BITS[other] <= 8 ? 16 : BITS[other] <= 16 ? 32 : 64;
    return float(Math.max(BITS[f], need));
  }
  const signedA = a.startsWith('int');
  const signedB = b.startsWith('int');
  if (signedA === signedB) return BITS[a] >= BITS[b] ? a : b;
  const [signed, unsigned] = signedA ? [a, b] : [b, a];
  if (BITS[unsigned] < BITS[signed]) return signed;
  const bits = 2 * BITS[unsigned];
  return bits <= 64 ? (`int${bits}` as NumericDType) : 'float64';
}

/** The dtype of the one array numpy makes of these columns: object as soon as one column is not numeric. */
export function arrayDType(columns: readonly Column[]): DType {
  let out: NumericDType | null = null;
  for (const c of columns) {
    if (!isNumericDType(c.dtype) || !(c.values instanceof Float64Array)) return 'object';
    out = out === null ? c.dtype : promote(out, c.dtype);
  }
  return out ?? 'float64';
}

/** Python's `a == b` for the scalars a table holds (None, bool, numbers, strings). */
export function pythonEquals(a: unknown, b: unknown): boolean {
  const none = (v: unknown): boolean => v === null || v === undefined;
  if (none(a) || none(b)) return none(a) && none(b);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : typeof v === 'bigint' ? Number(v) : null);
  const na = num(a);
  const nb = num(b);
  if (na !== null || nb !== null) return na !== null && nb !== null && na === nb;
  return a === b;
}
