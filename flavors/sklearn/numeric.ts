/**
 * numpy's arithmetic, in numpy's order where the order changes the last bits: `np.sum` of a
 * contiguous row is a pairwise sum, `argmax` takes the first maximum, and softmax/expit/log
 * follow sklearn's formulas step by step.
 */

/** numpy's pairwise summation of a[from .. from+n) (numpy/_core/src/umath/loops_utils.h). */
function pairwise(a: ArrayLike<number>, from: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[from + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [a[from]!, a[from + 1]!, a[from + 2]!, a[from + 3]!, a[from + 4]!, a[from + 5]!, a[from + 6]!, a[from + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j]! += a[from + i + j]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[from + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, from, n2) + pairwise(a, from + n2, n - n2);
}

/** `np.sum` over a contiguous run (a row of a C-order matrix): numpy's pairwise sum. */
export function npSum(a: ArrayLike<number>, from = 0, n = a.length - from): number {
  return pairwise(a, from, n);
}

/** Index of the first maximum (NaN counts as the maximum, as in numpy). */
export function argmax(a: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  let bestValue = a[from]!;
  if (Number.isNaN(bestValue)) return 0;
  for (let j = 1; j < n; j++) {
    const v = a[from + j]!;
    if (Number.isNaN(v)) return j;
    if (v > bestValue) {
      best = j;
      bestValue = v;
    }
  }
  return best;
}

/** scipy.special.expit. */
export function expit(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * sklearn.utils.extmath.softmax of each row of an [n, k] row-major matrix, in place:
 * subtract the row max, exponentiate, divide by the (numpy) row sum.
 */
export function softmaxRows(m: Float64Array, k: number): Float64Array {
  for (let base = 0; base < m.length; base += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, m[base + j]!);
    for (let j = 0; j < k; j++) m[base + j] = Math.exp(m[base + j]! - max);
    const sum = npSum(m, base, k);
    for (let j = 0; j < k; j++) m[base + j]! /= sum;
  }
  return m;
}

/** np.log of every element, in place. */
export function logInPlace(m: Float64Array): Float64Array {
  for (let i = 0; i < m.length; i++) m[i] = Math.log(m[i]!);
  return m;
}

/** scipy.special.logit (xsf): log(x / (1 - x)), with a log1p form near 0.5 where that loses precision. */
export function logit(x: number): number {
  if (x < 0.3 || x > 0.65) return Math.log(x / (1 - x));
  const s = 2 * (x - 0.5);
  return Math.log1p(s) - Math.log1p(-s);
}

/** np.clip(x, low, high). */
export function clip(x: number, low: number, high: number): number {
  return Math.min(Math.max(x, low), high);
}

/** scipy.special.logsumexp of a[from .. from+n). */
export function logSumExp(a: ArrayLike<number>, from: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, a[from + j]!);
  if (!Number.isFinite(max)) max = 0;
  const tmp = new Float64Array(n);
  for (let j = 0; j < n; j++) tmp[j] = Math.exp(a[from + j]! - max);
  return Math.log(npSum(tmp, 0, n)) + max;
}

/** float32 and float64 machine epsilon (np.finfo(...).eps). */
export const EPS32 = 2 ** -23;
export const EPS64 = 2 ** -52;
