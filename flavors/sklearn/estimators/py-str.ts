/**
 * Python's str() of the values transformers put in output feature names (`color_red`,
 * `x0^2`, `size_1.5`): strings as they are, numbers as Python prints them.
 */
import { NumpyScalar, type DType, type PyValue } from '../../../src/pickle/index.js';

/** repr() of a Python float: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    // JavaScript prints these in fixed notation with the same shortest digits
    const fixed = x.toString();
    return fixed.includes('.') ? fixed : `${fixed}.0`;
  }
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/**
 * str() of one element of an array of the given dtype. Elements of object arrays are Python
 * objects whose int/float distinction the pickle's numbers no longer carry: whole numbers print as ints.
 */
export function pyStr(v: PyValue | undefined, dtype?: DType): string {
  if (v instanceof NumpyScalar) return pyStr(v.value, v.dtype);
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (dtype?.kind === 'b') return v !== 0 ? 'True' : 'False';
    if (dtype?.kind === 'f' || (dtype?.kind !== 'i' && dtype?.kind !== 'u' && !Number.isInteger(v))) return pyFloat(v);
    return String(v);
  }
  return String(v);
}
