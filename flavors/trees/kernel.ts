/**
 * The hot loop: adds the leaf values of trees [treeStart, treeEnd) for rows [rowStart, rowEnd)
 * of a row-major matrix into `out` (row r, output g at r * numOutputs + g).
 *
 * Why it looks like this:
 * - Rows go in blocks of BLOCK, and within a block tree by tree, so one tree's nodes stay in
 *   L1 cache while BLOCK rows walk it (XGBoost's CPU predictor does the same).
 * - Within a tree the block's rows advance one level at a time, in lockstep, for the tree's
 *   full depth. The rows are independent, so the CPU overlaps their memory loads instead of
 *   waiting on one row's chain of node → feature → next node; the trip count is fixed, so the
 *   loop branches predict perfectly. Leaves point to themselves, so rows that reach a leaf
 *   early just stay there.
 * - No allocation: the caller passes `path`, a scratch Int32Array of BLOCK slots.
 *
 * These functions reference nothing but their arguments and Math: pool.ts ships their source
 * text to worker threads, so main thread and workers run the very same code.
 */
import type { TreeEnsemble } from './ensemble.js';

export const BLOCK = 64;

export function accumulateTrees(
  e: TreeEnsemble,
  X: Float64Array,
  rowStart: number,
  rowEnd: number,
  treeStart: number,
  treeEnd: number,
  out: Float64Array,
  path: Int32Array,
): void {
  const feature = e.feature;
  const threshold = e.threshold;
  const left = e.left;
  const right = e.right;
  const kind = e.kind;
  const value = e.value;
  const nf = e.numFeatures;
  const no = e.numOutputs;
  const float32 = e.float32;
  const linear = e.linearStart.length > 0;
  for (let r0 = rowStart; r0 < rowEnd; r0 += 64) {
    const nb = Math.min(64, rowEnd - r0);
    for (let t = treeStart; t < treeEnd; t++) {
      const root = e.treeRoot[t]!;
      const depth = e.treeDepth[t]!;
      for (let i = 0; i < nb; i++) path[i] = root;
      for (let d = 0; d < depth; d++) {
        for (let i = 0; i < nb; i++) {
          const n = path[i]!;
          const x = X[(r0 + i) * nf + feature[n]!]!;
          const k = kind[n]!;
          let goLeft: boolean;
          if (k === 0) goLeft = x < threshold[n]!; // NaN compares false: goes right
          else if (k === 1) goLeft = !(x >= threshold[n]!); // NaN: goes left
          else goLeft = decideSpecial(e, n, k, x);
          path[i] = goLeft ? left[n]! : right[n]!;
        }
      }
      const g = e.treeOutput[t]!;
      for (let i = 0; i < nb; i++) {
        const leaf = path[i]!;
        const o = (r0 + i) * no + g;
        const v = linear ? linearLeafValue(e, leaf, X, (r0 + i) * nf) : value[leaf]!;
        out[o] = float32 ? Math.fround(out[o]! + v) : out[o]! + v;
      }
    }
  }
}

/** Zero-as-missing and categorical nodes (kind bits: 1 missing-left, 2 zero-missing, 4 categorical, 8 truncate). */
export function decideSpecial(e: TreeEnsemble, n: number, k: number, x: number): boolean {
  const missingLeft = (k & 1) !== 0;
  if (x !== x) return missingLeft;
  if ((k & 4) === 0) {
    if ((k & 2) !== 0 && x === 0) return missingLeft; // inputs within ±1e-35 arrive as 0
    return x < e.threshold[n]!;
  }
  // Categorical: XGBoost treats negatives as invalid, LightGBM truncates toward zero first.
  const c = (k & 8) !== 0 ? Math.trunc(x) : x < 0 ? -1 : Math.floor(x);
  if (c < 0) return false;
  const set = e.threshold[n]!;
  const start = e.catStart[set]!;
  const word = start + Math.floor(c / 32);
  if (word >= e.catStart[set + 1]!) return false;
  return ((e.catBits[word]! >>> (c % 32)) & 1) === 1;
}

/** LightGBM linear leaf: constant + Σ coeff·x, or the plain leaf value when a term's x is NaN. */
export function linearLeafValue(e: TreeEnsemble, leaf: number, X: Float64Array, rowBase: number): number {
  const end = e.linearStart[leaf + 1]!;
  let sum = e.linearConst[leaf]!;
  for (let j = e.linearStart[leaf]!; j < end; j++) {
    const x = X[rowBase + e.linearFeature[j]!]!;
    if (x !== x) return e.value[leaf]!;
    sum += e.linearCoeff[j]! * x;
  }
  return sum;
}
