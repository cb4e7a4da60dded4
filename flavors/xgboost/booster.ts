/**
 * An XGBoost booster as its three file formats describe it (booster-parts), compiled once into
 * the shared TreeEnsemble plus what prediction needs: objective, base margin, feature names.
 */
import { buildEnsemble, type SourceNode, type SourceTree } from '../trees/builder.js';
import type { TreeEnsemble } from '../trees/ensemble.js';
import { baseMargin, checkObjective } from './objective.js';

/** One tree as XGBoost stores it: parallel per-node arrays, leaves have left = -1. */
export interface RawTree {
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly splitIndex: ArrayLike<number>;
  /** Split threshold, or the leaf value for a leaf. */
  readonly splitCondition: ArrayLike<number>;
  readonly defaultLeft: ArrayLike<number>;
  /** Categorical nodes: node index → the categories that go RIGHT (XGBoost's convention). */
  readonly categories: ReadonlyMap<number, readonly number[]>;
}

export interface BoosterParts {
  /** [major, minor, patch] of the XGBoost that wrote the file; [0, 0, 0] before 1.0. */
  readonly version: readonly [number, number, number];
  readonly objective: string;
  readonly numFeature: number;
  readonly numClass: number;
  readonly numTarget: number;
  /** base_score as saved (probability space): one value, or one per output. */
  readonly baseScore: readonly number[];
  readonly featureNames: readonly string[] | null;
  readonly featureTypes: readonly string[] | null;
  readonly attributes: Readonly<Record<string, string>>;
  readonly trees: readonly RawTree[];
  /** Output group of each tree. */
  readonly treeInfo: ArrayLike<number>;
  /** Trees of iteration i are [indptr[i], indptr[i+1]); null: derive from num_parallel_tree. */
  readonly iterationIndptr: ArrayLike<number> | null;
  readonly numParallelTree: number;
  /** DART tree weights; null for gbtree. */
  readonly weightDrop: ArrayLike<number> | null;
}

export interface XgbBooster {
  readonly version: readonly [number, number, number];
  readonly objective: string;
  readonly numClass: number;
  /** Output columns of the margin: max(num_class, num_target, 1). */
  readonly numOutputs: number;
  readonly featureNames: readonly string[] | null;
  readonly featureTypes: readonly string[] | null;
  readonly attributes: Readonly<Record<string, string>>;
  readonly ensemble: TreeEnsemble;
  /** Initial margin per output (base_score through the objective's link). */
  readonly baseMargin: Float64Array;
}

/** Throws a plain Error naming what is wrong or unsupported; the flavor wraps it. */
export function compileBooster(parts: BoosterParts): XgbBooster {
  checkObjective(parts.objective);
  const numOutputs = Math.max(parts.numClass, parts.numTarget, 1);
  const numTrees = parts.trees.length;
  if (parts.treeInfo.length !== numTrees) throw new Error(`tree_info has ${parts.treeInfo.length} entries for ${numTrees} trees`);
  if (parts.weightDrop !== null && parts.weightDrop.length < numTrees) {
    throw new Error(`weight_drop has ${parts.weightDrop.length} weights for ${numTrees} trees`);
  }
  let numFeatures = parts.numFeature;
  if (parts.featureNames !== null && parts.featureNames.length > 0) numFeatures = Math.max(numFeatures, parts.featureNames.length);

  const trees: SourceTree[] = parts.trees.map((raw, t) => {
    const weight = parts.weightDrop === null ? 1 : parts.weightDrop[t]!;
    return { output: parts.treeInfo[t]!, root: 0, nodes: sourceNodes(raw, weight) };
  });
  const ensemble = buildEnsemble({
    numFeatures,
    numOutputs,
    float32: true,
    trees,
    treesPerIteration: treesPerIteration(parts),
  });
  return {
    version: parts.version,
    objective: parts.objective,
    numClass: parts.numClass,
    numOutputs,
    featureNames: parts.featureNames !== null && parts.featureNames.length > 0 ? parts.featureNames : null,
    featureTypes: parts.featureTypes !== null && parts.featureTypes.length > 0 ? parts.featureTypes : null,
    attributes: parts.attributes,
    ensemble,
    baseMargin: baseMargin(parts.objective, parts.baseScore, numOutputs, parts.version),
  };
}

function sourceNodes(raw: RawTree, weight: number): SourceNode[] {
  const n = raw.left.length;
  for (const field of [raw.right, raw.splitIndex, raw.splitCondition, raw.defaultLeft]) {
    if (field.length !== n) throw new Error('a tree has per-node arrays of different lengths');
  }
  const nodes: SourceNode[] = new Array(n);
  const w = Math.fround(weight);
  for (let i = 0; i < n; i++) {
    const left = raw.left[i]!;
    if (left === -1) {
      // DART: XGBoost adds leaf * weight in float32.
      const leaf = Math.fround(raw.splitCondition[i]!);
      nodes[i] = { leaf: true, value: w === 1 ? leaf : Math.fround(leaf * w) };
      continue;
    }
    const categories = raw.categories.get(i);
    const defaultLeft = raw.defaultLeft[i] !== 0;
    nodes[i] =
      categories === undefined
        ? {
            leaf: false,
            feature: raw.splitIndex[i]!,
            threshold: Math.fround(raw.splitCondition[i]!),
            missingLeft: defaultLeft,
            left,
            right: raw.right[i]!,
          }
        : // XGBoost sends the listed categories right: swap the children so they go "left".
          {
            leaf: false,
            feature: raw.splitIndex[i]!,
            threshold: NaN,
            leftCategories: categories,
            missingLeft: !defaultLeft,
            left: raw.right[i]!,
            right: left,
          };
  }
  return nodes;
}

function treesPerIteration(parts: BoosterParts): number[] {
  const numTrees = parts.trees.length;
  const indptr = parts.iterationIndptr;
  if (indptr !== null && indptr.length > 0) {
    if (indptr[0] !== 0 || indptr[indptr.length - 1] !== numTrees) throw new Error('iteration_indptr does not cover the trees');
    const sizes: number[] = [];
    for (let i = 1; i < indptr.length; i++) sizes.push(indptr[i]! - indptr[i - 1]!);
    return sizes;
  }
  // Older files: every iteration adds num_parallel_tree trees per output group.
  let groups = 1;
  for (let t = 0; t < numTrees; t++) groups = Math.max(groups, parts.treeInfo[t]! + 1);
  const layer = Math.max(parts.numParallelTree, 1) * groups;
  if (numTrees % layer !== 0) throw new Error(`${numTrees} trees do not make whole iterations of ${layer}`);
  return new Array<number>(numTrees / layer).fill(layer);
}
