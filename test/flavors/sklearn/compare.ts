import type { Tensor } from '../../../src/model/data.js';

export interface ExpectedArray {
  dtype: string;
  shape: number[];
  values: unknown[];
}

/** The relative tolerance for floats; labels must be identical. */
export const REL_TOL = 1e-9;

function special(v: unknown): unknown {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

const DTYPES: Record<string, string> = { str: 'string', object: 'object', bytes: 'bytes' };

/** Problems found comparing a flowgate tensor with numpy's recorded array (empty = identical within tolerance). */
export function tensorMismatches(actual: Tensor, expected: ExpectedArray, rtol = REL_TOL, atol = 0): string[] {
  const problems: string[] = [];
  const dtype = DTYPES[expected.dtype] ?? expected.dtype;
  if (actual.dtype !== dtype) problems.push(`dtype ${actual.dtype}, expected ${dtype}`);
  if (JSON.stringify(actual.shape) !== JSON.stringify(expected.shape)) {
    problems.push(`shape (${actual.shape.join(', ')}), expected (${expected.shape.join(', ')})`);
    return problems;
  }
  const isFloat = dtype.startsWith('float');
  for (let i = 0; i < expected.values.length; i++) {
    const e = special(expected.values[i]);
    const a = actual.values[i];
    let ok: boolean;
    if (isFloat && typeof e === 'number' && typeof a === 'number') {
      ok = Object.is(a, e) || a === e || (Number.isNaN(a) && Number.isNaN(e)) || Math.abs(a - e) <= rtol * Math.max(Math.abs(a), Math.abs(e)) + atol;
    } else {
      ok = a === e || (typeof a === 'number' && typeof e === 'boolean' && a === Number(e));
    }
    if (!ok) problems.push(`[${i}] ${String(a)} != ${String(e)}`);
  }
  return problems;
}
