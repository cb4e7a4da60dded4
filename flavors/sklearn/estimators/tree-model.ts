/**
 * sklearn's `Tree` (sklearn.tree._tree.Tree), read from its pickled state: the node array
 * (a structured dtype whose fields grew over versions: `missing_go_to_left` arrived in 1.3)
 * and the value array [node_count, n_outputs, max_n_classes].
 *
 * Traversal is sklearn's `_apply_dense`: X is float32 (callers round with Math.fround), a
 * row goes left when `x <= threshold` (float32 compared as double against the float64
 * threshold), and NaN follows `missing_go_to_left` (only reached when NaN was allowed).
 */
import { Attributes, asInt, type PyObject } from '../../../src/pickle/index.js';

const LEAF = -1;

export class TreeModel {
  /** [feature, left, right, -] per node, packed so one visit reads one cache line for the links. */
  private readonly links: Int32Array;

  private constructor(
    readonly left: Int32Array,
    readonly right: Int32Array,
    readonly feature: Int32Array,
    readonly threshold: Float64Array,
    /** 1 where NaN goes left; null for trees pickled before sklearn 1.3 (NaN never reaches them). */
    readonly missingLeft: Uint8Array | null,
    /** [node, output, class] row-major */
    readonly values: Float64Array,
    readonly nOutputs: number,
    readonly maxClasses: number,
  ) {
    const n = left.length;
    this.links = new Int32Array(n * 4);
    for (let i = 0; i < n; i++) {
      this.links[4 * i] = feature[i]!;
      this.links[4 * i + 1] = left[i]!;
      this.links[4 * i + 2] = right[i]!;
    }
  }

  static read(tree: PyObject): TreeModel {
    if (tree.className !== 'sklearn.tree._tree.Tree') throw new TypeError(`expected a sklearn Tree, found ${tree.className}`);
    const a = new Attributes(tree);
    const nFeatures = asInt(tree.args[0], 'Tree n_features');
    const nOutputs = asInt(tree.args[2], 'Tree n_outputs');
    const nodes = a.array('nodes');
    const values = a.array('values');
    const nodeCount = a.int('node_count');
    if (nodes.shape[0]! < nodeCount) throw new TypeError('Tree.nodes is shorter than node_count');
    const field = (name: string): Float64Array => nodes.field(name).numbers();
    const left = Int32Array.from(field('left_child').subarray(0, nodeCount));
    const right = Int32Array.from(field('right_child').subarray(0, nodeCount));
    const feature = Int32Array.from(field('feature').subarray(0, nodeCount));
    const threshold = field('threshold').slice(0, nodeCount);
    const missingLeft = nodes.hasField('missing_go_to_left') ? Uint8Array.from(field('missing_go_to_left').subarray(0, nodeCount)) : null;
    if (values.ndim !== 3 || values.shape[0]! < nodeCount || values.shape[1] !== nOutputs) {
      throw new TypeError(`Tree.values has shape (${values.shape.join(', ')}), expected (${nodeCount}, ${nOutputs}, k)`);
    }
    const maxClasses = values.shape[2]!;
    for (let n = 0; n < nodeCount; n++) {
      const isLeaf = left[n] === LEAF;
      const ok = isLeaf
        ? right[n] === LEAF
        : left[n]! > n && left[n]! < nodeCount && right[n]! > n && right[n]! < nodeCount && feature[n]! >= 0 && feature[n]! < nFeatures;
      if (!ok) throw new TypeError(`Tree node ${n} is malformed (children ${left[n]}/${right[n]}, feature ${feature[n]})`);
    }
    return new TreeModel(left, right, feature, threshold, missingLeft, values.numbers().slice(0, nodeCount * nOutputs * maxClasses), nOutputs, maxClasses);
  }

  /** The leaf each row lands in; X is row-major [rows, nFeatures], float32-rounded. */
  apply(X: Float64Array, nFeatures: number, rows: number): Int32Array {
    const { links, threshold, missingLeft } = this;
    const out = new Int32Array(rows);
    for (let i = 0, base = 0; i < rows; i++, base += nFeatures) {
      let node = 0;
      let next = links[1]!;
      while (next !== LEAF) {
        const x = X[base + links[4 * node]!]!;
        if (x <= threshold[node]!) node = next;
        else if (x !== x && missingLeft !== null && missingLeft[node] === 1) node = next;
        else node = links[4 * node + 2]!;
        next = links[4 * node + 1]!;
      }
      out[i] = node;
    }
    return out;
  }
}

/** Float32-rounded columns as one row-major matrix (what a tree walk reads fastest). */
export function rowMajor(columns: readonly Float64Array[], rows: number): Float64Array {
  const nf = columns.length;
  const X = new Float64Array(rows * nf);
  for (let j = 0; j < nf; j++) {
    const col = columns[j]!;
    for (let i = 0; i < rows; i++) X[i * nf + j] = col[i]!;
  }
  return X;
}

/** The tree inside a fitted decision tree or extra tree (its `tree_`). */
export function treeOf(estimator: PyObject): TreeModel {
  return TreeModel.read(new Attributes(estimator).object('tree_'));
}
