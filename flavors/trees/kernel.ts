/**
 * The hot loop: adds the leaf values of trees [treeStart, treeEnd) for rows [rowStart, rowEnd)
 * of a row-major matrix into `out` (row r, output g at r * numOutputs + g). No allocation.
 *
 * Why it looks like this (measured on a 500-tree depth-8 model, see bench/trees.bench.mjs):
 * - Rows go in blocks of BLOCK, and within a block tree by tree, so one tree's nodes stay in
 *   L1 cache while the block walks it (XGBoost's CPU predictor does the same).
 * - A split's left child is always the next node (depth-first layout), and a leaf points to
 *   itself with a NaN threshold, so every row can take exactly `treeDepth` steps: the loop
 *   branches are perfectly predictable, rows that reach a leaf early just stay there.
 * - Models with numeric splits only (most) take four rows through a tree at once with a
 *   branch-free step (a compare turned into a mask selects the child): the four chains of
 *   dependent loads overlap, and no data-dependent branch mispredicts. This is about 3x
 *   faster than a branchy one-row-at-a-time walk (eight rows at once measured no better). NaN inputs keep this path: see the widened
 *   rows in accumulateTrees.
 * - Zero-as-missing, categorical splits and linear leaves take the general per-row walk with
 *   the full decision rules.
 *
 * These functions reference nothing but their arguments and Math: pool.ts ships their source
 * text to worker threads, so main thread and workers run the very same code.
 */
import type { TreeEnsemble } from './ensemble.js';

/** Rows per block (written as the literal 64 inside the kernels, which must be self-contained). */
export const BLOCK = 64;

export function accumulateTrees(
  e: TreeEnsemble,
  X: Float64Array,
  rowStart: number,
  rowEnd: number,
  treeStart: number,
  treeEnd: number,
  out: Float64Array,
): void {
  if (!e.numericOnly) {
    accumulateGeneral(e, X, rowStart, rowEnd, treeStart, treeEnd, out);
    return;
  }
  const nf = e.numFeatures;
  let hasNaN = false;
  for (let i = rowStart * nf, end = rowEnd * nf; i < end && !hasNaN; i++) hasNaN = X[i] !== X[i];
  if (!hasNaN) {
    accumulateNumeric(e, e.feature, X, nf, 0, rowStart, rowEnd, treeStart, treeEnd, out);
    return;
  }
  // NaN present: each block of rows is widened to [x with NaN → +Inf | x with NaN → -Inf];
  // nodes read through missingFeature, so NaN falls on the side the node sends it to, and the
  // branch-free kernel runs unchanged. The scratch is per call, never per row or tree.
  const wide = new Float64Array(64 * 2 * nf); // 64 = BLOCK
  for (let r0 = rowStart; r0 < rowEnd; r0 += 64) {
    const r1 = Math.min(r0 + 64, rowEnd);
    for (let r = r0; r < r1; r++) {
      const src = r * nf;
      const dst = (r - r0) * 2 * nf;
      for (let j = 0; j < nf; j++) {
        const x = X[src + j]!;
        const nan = x !== x;
        wide[dst + j] = nan ? Infinity : x;
        wide[dst + nf + j] = nan ? -Infinity : x;
      }
    }
    accumulateNumeric(e, e.missingFeature, wide, 2 * nf, r0, r0, r1, treeStart, treeEnd, out);
  }
}

/**
 * Numeric splits, no NaN in X: `x < threshold` goes to n + 1, else to right[n]. Four rows at a
 * time. Row r's features start at X[(r - xRow0) * stride]; `feature` maps nodes to columns.
 */
export function accumulateNumeric(
  e: TreeEnsemble,
  feature: Int32Array,
  X: Float64Array,
  stride: number,
  xRow0: number,
  rowStart: number,
  rowEnd: number,
  treeStart: number,
  treeEnd: number,
  out: Float64Array,
): void {
  const threshold = e.threshold;
  const right = e.right;
  const value = e.value;
  const no = e.numOutputs;
  const float32 = e.float32;
  for (let r0 = rowStart; r0 < rowEnd; r0 += 64) {
    const r1 = Math.min(r0 + 64, rowEnd);
    for (let t = treeStart; t < treeEnd; t++) {
      const root = e.treeRoot[t]!;
      const depth = e.treeDepth[t]!;
      const g = e.treeOutput[t]!;
      let r = r0;
      for (; r + 4 <= r1; r += 4) {
        const b0 = (r - xRow0) * stride;
        const b1 = b0 + stride;
        const b2 = b1 + stride;
        const b3 = b2 + stride;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        for (let d = 0; d < depth; d++) {
          // m = 0 when x < threshold (go to n + 1), -1 otherwise (go to right[n]).
          const m0 = +(X[b0 + feature[n0]!]! < threshold[n0]!) - 1;
          const m1 = +(X[b1 + feature[n1]!]! < threshold[n1]!) - 1;
          const m2 = +(X[b2 + feature[n2]!]! < threshold[n2]!) - 1;
          const m3 = +(X[b3 + feature[n3]!]! < threshold[n3]!) - 1;
          n0 = (n0 + 1) ^ (((n0 + 1) ^ right[n0]!) & m0);
          n1 = (n1 + 1) ^ (((n1 + 1) ^ right[n1]!) & m1);
          n2 = (n2 + 1) ^ (((n2 + 1) ^ right[n2]!) & m2);
          n3 = (n3 + 1) ^ (((n3 + 1) ^ right[n3]!) & m3);
        }
        const o = r * no + g;
        if (float32) {
          out[o] = Math.fround(out[o]! + value[n0]!);
          out[o + no] = Math.fround(out[o + no]! + value[n1]!);
          out[o + 2 * no] = Math.fround(out[o + 2 * no]! + value[n2]!);
          out[o + 3 * no] = Math.fround(out[o + 3 * no]! + value[n3]!);
        } else {
          out[o] = out[o]! + value[n0]!;
          out[o + no] = out[o + no]! + value[n1]!;
          out[o + 2 * no] = out[o + 2 * no]! + value[n2]!;
          out[o + 3 * no] = out[o + 3 * no]! + value[n3]!;
        }
      }
      for (; r < r1; r++) {
        const base = (r - xRow0) * stride;
        let n = root;
        for (let d = 0; d < depth; d++) n = X[base + feature[n]!]! < threshold[n]! ? n + 1 : right[n]!;
        const o = r * no + g;
        out[o] = float32 ? Math.fround(out[o]! + value[n]!) : out[o]! + value[n]!;
      }
    }
  }
}

/** Every node kind, NaN inputs, linear leaves: one row at a time. */
export function accumulateGeneral(
  e: TreeEnsemble,
  X: Float64Array,
  rowStart: number,
  rowEnd: number,
  treeStart: number,
  treeEnd: number,
  out: Float64Array,
): void {
  const feature = e.feature;
  const threshold = e.threshold;
  const right = e.right;
  const kind = e.kind;
  const value = e.value;
  const nf = e.numFeatures;
  const no = e.numOutputs;
  const float32 = e.float32;
  const linear = e.linearStart.length > 0;
  for (let r0 = rowStart; r0 < rowEnd; r0 += 64) {
    const r1 = Math.min(r0 + 64, rowEnd);
    for (let t = treeStart; t < treeEnd; t++) {
      const root = e.treeRoot[t]!;
      const depth = e.treeDepth[t]!;
      const g = e.treeOutput[t]!;
      for (let r = r0; r < r1; r++) {
        const base = r * nf;
        let n = root;
        for (let d = 0; d < depth; d++) {
          const x = X[base + feature[n]!]!;
          const k = kind[n]!;
          let goLeft: boolean;
          if (k === 0) goLeft = x < threshold[n]!; // NaN compares false: right
          else if (k === 1) goLeft = !(x >= threshold[n]!); // NaN: left
          else goLeft = decideSpecial(e, n, k, x);
          // A leaf (threshold NaN, kind 0) stays put: right[leaf] is the leaf itself.
          n = goLeft ? n + 1 : right[n]!;
        }
        const v = linear ? linearLeafValue(e, n, X, base) : value[n]!;
        const o = r * no + g;
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
