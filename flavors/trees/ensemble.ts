/**
 * The one compiled form of a tree ensemble that both XGBoost and LightGBM models become.
 *
 * All trees' nodes live in flat typed arrays, laid out depth-first so a left child sits next
 * to its parent. Every node has one rule: go left when `x < threshold` (XGBoost's rule;
 * LightGBM's `x <= t` becomes `x < nextUp(t)`, exact for every double). What a missing
 * value does is in `kind`. Leaves are nodes too: they point to themselves on both sides and
 * carry their value, so a traversal may take extra steps without leaving a leaf (the kernel
 * walks rows in lockstep for a tree's full depth, see kernel.ts).
 */

/** Node kind bits. 0 = numeric split, missing (NaN) goes right. */
export const MISSING_LEFT = 1;
/** LightGBM missing type Zero: 0 (and NaN) take the default direction. */
export const ZERO_IS_MISSING = 2;
/** Categorical split: category in the set goes left, any other category right; NaN by MISSING_LEFT. */
export const CATEGORICAL = 4;
/**
 * LightGBM reads a category as C's `(int)x`, so -0.5 is category 0; XGBoost calls any
 * negative value invalid (not in the set).
 */
export const CATEGORY_TRUNCATES = 8;

export interface TreeEnsemble {
  /** Features each input row has (the kernel reads row r at r * numFeatures). */
  readonly numFeatures: number;
  /** Output columns (classes / targets); tree t adds to column treeOutput[t]. */
  readonly numOutputs: number;
  /** Accumulate in float32 like XGBoost does; LightGBM sums in float64. */
  readonly float32: boolean;

  /**
   * Only numeric splits with finite-ish thresholds and plain leaves: the fast kernel applies,
   * NaN inputs included (see kernel.ts, widened rows).
   */
  readonly numericOnly: boolean;

  // --- nodes, all trees concatenated
  readonly feature: Int32Array;
  /**
   * The feature to read in a widened row (features twice: NaN as +Infinity, then NaN as
   * -Infinity): feature + numFeatures where NaN goes left, so NaN lands on the right side.
   */
  readonly missingFeature: Int32Array;
  /** Split threshold; for a categorical node, the index of its bitset; NaN for a leaf. */
  readonly threshold: Float64Array;
  /** Right child (the left child of split n is n + 1); a leaf's own index. */
  readonly right: Int32Array;
  readonly kind: Uint8Array;
  /** Leaf value (already scaled by the tree weight); 0 for split nodes. */
  readonly value: Float64Array;

  // --- trees
  readonly treeRoot: Int32Array;
  /** Longest root-to-leaf path, in splits. */
  readonly treeDepth: Int32Array;
  readonly treeOutput: Int32Array;
  /** Trees of boosting iteration i are [iterationStart[i], iterationStart[i + 1]). */
  readonly iterationStart: Int32Array;

  // --- categorical sets: bitset b is words catBits[catStart[b] .. catStart[b + 1])
  readonly catStart: Int32Array;
  readonly catBits: Uint32Array;

  // --- linear leaves (LightGBM linear_tree); empty when no tree is linear.
  /** Per node: its terms are [linearStart[n], linearStart[n + 1]); length nodes + 1 or 0. */
  readonly linearStart: Int32Array;
  readonly linearFeature: Int32Array;
  readonly linearCoeff: Float64Array;
  /** Per node: the linear model's constant (the leaf value is the fallback when a term is NaN). */
  readonly linearConst: Float64Array;
}

export function numTrees(e: TreeEnsemble): number {
  return e.treeRoot.length;
}

export function numIterations(e: TreeEnsemble): number {
  return e.iterationStart.length - 1;
}
