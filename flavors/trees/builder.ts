/**
 * Compiles trees given in a library-neutral node form into a TreeEnsemble. Parsers describe
 * each tree as nodes with the rule "x < threshold goes left" and say where NaN goes; the
 * builder lays them out depth-first, checks the structure and packs the typed arrays.
 */
import {
  CATEGORICAL,
  CATEGORY_TRUNCATES,
  MISSING_LEFT,
  ZERO_IS_MISSING,
  type TreeEnsemble,
} from './ensemble.js';

export interface SourceSplit {
  readonly leaf: false;
  readonly feature: number;
  /** `x < threshold` goes left (ignored for a categorical split). */
  readonly threshold: number;
  /** Where NaN goes (and 0 when zeroIsMissing). */
  readonly missingLeft: boolean;
  readonly zeroIsMissing?: boolean;
  /** Categorical split: these categories go left, every other value right. */
  readonly leftCategories?: readonly number[];
  readonly categoryTruncates?: boolean;
  readonly left: number;
  readonly right: number;
}

export interface LinearLeaf {
  readonly constant: number;
  readonly features: readonly number[];
  readonly coeffs: readonly number[];
}

export interface SourceLeaf {
  readonly leaf: true;
  readonly value: number;
  readonly linear?: LinearLeaf;
}

export type SourceNode = SourceSplit | SourceLeaf;

export interface SourceTree {
  /** Output column the tree adds to. */
  readonly output: number;
  /** Node ids are indices into `nodes`; the root is `root`. */
  readonly nodes: readonly SourceNode[];
  readonly root: number;
}

export interface EnsembleSpec {
  readonly numFeatures: number;
  readonly numOutputs: number;
  readonly float32: boolean;
  readonly trees: readonly SourceTree[];
  /** Trees per boosting iteration, in order (their sum is the tree count). */
  readonly treesPerIteration: readonly number[];
}

/** Throws a plain Error naming the first structural problem; callers wrap it in a FlavorError. */
export function buildEnsemble(spec: EnsembleSpec): TreeEnsemble {
  const { trees, numFeatures, numOutputs } = spec;
  let nodeCount = 0;
  for (const t of trees) nodeCount += t.nodes.length;
  const iterationSum = spec.treesPerIteration.reduce((a, b) => a + b, 0);
  if (iterationSum !== trees.length) {
    throw new Error(`the iterations hold ${iterationSum} trees but the model has ${trees.length}`);
  }

  const feature = new Int32Array(nodeCount);
  const threshold = new Float64Array(nodeCount);
  const right = new Int32Array(nodeCount);
  const kind = new Uint8Array(nodeCount);
  const value = new Float64Array(nodeCount);
  const treeRoot = new Int32Array(trees.length);
  const treeDepth = new Int32Array(trees.length);
  const treeOutput = new Int32Array(trees.length);
  const catStart: number[] = [0];
  const catWords: number[] = [];
  const linear = trees.some((t) => t.nodes.some((n) => n.leaf && n.linear !== undefined));
  const linearStart = linear ? new Int32Array(nodeCount + 1) : new Int32Array(0);
  const linearConst = linear ? new Float64Array(nodeCount) : new Float64Array(0);
  const linearFeature: number[] = [];
  const linearCoeff: number[] = [];

  let next = 0; // next free slot
  trees.forEach((tree, t) => {
    if (tree.output < 0 || tree.output >= numOutputs) throw new Error(`tree ${t} adds to output ${tree.output} of ${numOutputs}`);
    treeOutput[t] = tree.output;
    const base = next;
    const slotOf = new Int32Array(tree.nodes.length).fill(-1);
    const splits: number[] = [];
    // Depth-first, left first: a split's left child always lands right after it (slot + 1),
    // which is where the kernel looks for it.
    const stackId = new Int32Array(tree.nodes.length + 1);
    const stackDepth = new Int32Array(tree.nodes.length + 1);
    let top = 0;
    stackId[0] = tree.root;
    let maxDepth = 0;
    while (top >= 0) {
      const id = stackId[top]!;
      const depth = stackDepth[top--]!;
      const node = tree.nodes[id];
      if (node === undefined) throw new Error(`tree ${t}: node ${id} does not exist`);
      if (slotOf[id] !== -1) throw new Error(`tree ${t}: node ${id} is reached twice`);
      const slot = next++;
      slotOf[id] = slot;
      if (depth > maxDepth) maxDepth = depth;
      if (node.leaf) {
        threshold[slot] = NaN;
        value[slot] = node.value;
        right[slot] = slot;
        if (linear && node.linear !== undefined) {
          const { features, coeffs, constant } = node.linear;
          for (const f of features) checkFeature(f, numFeatures, t);
          linearConst[slot] = constant;
          linearFeature.push(...features);
          linearCoeff.push(...coeffs);
        } else if (linear) {
          linearConst[slot] = node.value;
        }
        if (linear) linearStart[slot + 1] = linearFeature.length;
        continue;
      }
      checkFeature(node.feature, numFeatures, t);
      feature[slot] = node.feature;
      let k = node.missingLeft ? MISSING_LEFT : 0;
      if (node.zeroIsMissing === true) k |= ZERO_IS_MISSING;
      if (node.leftCategories !== undefined) {
        k |= CATEGORICAL;
        if (node.categoryTruncates === true) k |= CATEGORY_TRUNCATES;
        threshold[slot] = catStart.length - 1;
        pushBitset(node.leftCategories, catWords, t);
        catStart.push(catWords.length);
      } else {
        threshold[slot] = node.threshold;
      }
      kind[slot] = k;
      if (linear) linearStart[slot + 1] = linearFeature.length;
      // Children get their slots when popped; remember the right child's id for now.
      splits.push(slot);
      right[slot] = node.right;
      // A node is reached at most once (checked above), so the stack never outgrows the tree.
      if (top + 2 >= stackId.length) throw new Error(`tree ${t}: node ${id} is reached twice`);
      stackId[++top] = node.right;
      stackDepth[top] = depth + 1;
      stackId[++top] = node.left;
      stackDepth[top] = depth + 1;
    }
    // Second pass: child ids -> slots.
    for (const s of splits) {
      right[s] = slotOf[right[s]!]!;
    }
    treeRoot[t] = base;
    treeDepth[t] = maxDepth;
  });
  // Nodes no root reaches (XGBoost keeps pruned nodes in its arrays) take no space.
  const used = next;

  // Widened rows put NaN at +Infinity for default-right nodes (never < t) and at -Infinity for
  // default-left ones (< t unless t is -Infinity itself, which rules the fast kernel out).
  const missingFeature = new Int32Array(used);
  let numericOnly = !linear;
  for (let n = 0; n < used; n++) {
    const k = kind[n]!;
    if (k > MISSING_LEFT || (k === MISSING_LEFT && threshold[n] === -Infinity)) numericOnly = false;
    missingFeature[n] = feature[n]! + (k === MISSING_LEFT ? numFeatures : 0);
  }

  const iterationStart = new Int32Array(spec.treesPerIteration.length + 1);
  spec.treesPerIteration.forEach((n, i) => (iterationStart[i + 1] = iterationStart[i]! + n));
  return {
    numFeatures,
    numOutputs,
    float32: spec.float32,
    numericOnly,
    feature: feature.slice(0, used),
    missingFeature,
    threshold: threshold.slice(0, used),
    right: right.slice(0, used),
    kind: kind.slice(0, used),
    value: value.slice(0, used),
    treeRoot,
    treeDepth,
    treeOutput,
    iterationStart,
    catStart: Int32Array.from(catStart),
    catBits: Uint32Array.from(catWords),
    linearStart: linear ? linearStart.slice(0, used + 1) : linearStart,
    linearFeature: Int32Array.from(linearFeature),
    linearCoeff: Float64Array.from(linearCoeff),
    linearConst: linear ? linearConst.slice(0, used) : linearConst,
  };
}

function checkFeature(f: number, numFeatures: number, tree: number): void {
  if (!Number.isInteger(f) || f < 0 || f >= numFeatures) {
    throw new Error(`tree ${tree} splits on feature ${f}, but the model has ${numFeatures} features`);
  }
}

/** Categories as a little-endian bitset: category c is bit c % 32 of word c / 32. */
function pushBitset(categories: readonly number[], words: number[], tree: number): void {
  let max = -1;
  for (const c of categories) {
    if (!Number.isInteger(c) || c < 0 || c > 0x7fffffff) throw new Error(`tree ${tree}: invalid category ${c}`);
    if (c > max) max = c;
  }
  if (max < 0) return;
  const start = words.length;
  for (let i = 0; i <= max >>> 5; i++) words.push(0);
  for (const c of categories) words[start + (c >>> 5)]! |= 1 << (c & 31);
  for (let i = start; i < words.length; i++) words[i] = words[i]! >>> 0;
}

const nextUpFloat = new Float64Array(1);
const nextUpBits = new BigInt64Array(nextUpFloat.buffer);

/** The smallest double greater than x (x finite): turns LightGBM's `x <= t` into `x < nextUp(t)`. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  nextUpFloat[0] = x;
  nextUpBits[0]! += x > 0 ? 1n : -1n;
  return nextUpFloat[0]!;
}
