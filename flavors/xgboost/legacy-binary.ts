/**
 * XGBoost's legacy binary model format: what `save_model("model.xgb")` wrote before
 * XGBoost 2 (MLflow's old default `model_format="xgb"`). Little-endian C structs:
 *
 *   ["binf"] LearnerModelParam (136 B) · objective · booster name (u64 length + bytes)
 *   GBTreeModelParam (160 B) · per tree: TreeParam (148 B), nodes (20 B each), stats (16 B each)
 *   tree_info (i32 per tree) · [DART: weight_drop as u64 count + f32s]
 *   [attributes: u64 count of (key, value) strings] — includes "objective" (a JSON config).
 *
 * No categorical splits exist in this format (XGBoost refuses to write them).
 */
import type { BoosterParts, RawTree } from './booster.js';
import { parseJsonAllowingNonFinite } from './json.js';

const LEARNER_PARAM_BYTES = 136;
const GBTREE_PARAM_BYTES = 160;
const TREE_PARAM_BYTES = 148;
const NODE_BYTES = 20;
const STAT_BYTES = 16;

export function partsFromLegacyBinary(bytes: Uint8Array): BoosterParts {
  const r = new Reader(bytes);
  if (r.peekAscii(4) === 'binf') r.skip(4);
  if (r.peekAscii(4) === 'bs64') throw new Error('base64-encoded XGBoost models are not supported');

  const learner = r.take(LEARNER_PARAM_BYTES);
  const baseScore = learner.getFloat32(0, true);
  const numFeature = learner.getUint32(4, true);
  const numClass = learner.getInt32(8, true);
  const hasAttributes = learner.getInt32(12, true) !== 0;
  const major = learner.getUint32(20, true);
  const minor = learner.getUint32(24, true);
  const numTarget = Math.max(learner.getUint32(28, true), 1);

  const objectiveName = r.string();
  const boosterName = r.string();
  if (boosterName !== 'gbtree' && boosterName !== 'dart') {
    throw new Error(`booster '${boosterName}' is not supported (only tree boosters: gbtree, dart)`);
  }

  const gbtree = r.take(GBTREE_PARAM_BYTES);
  const numTrees = gbtree.getInt32(0, true);
  const numParallelTree = gbtree.getInt32(4, true);
  if (gbtree.getInt32(28, true) > 1) throw new Error('vector-leaf trees are not supported');
  if (numTrees < 0) throw new Error(`invalid tree count ${numTrees}`);

  const trees: RawTree[] = [];
  for (let t = 0; t < numTrees; t++) trees.push(readTree(r));
  const treeInfo = new Int32Array(numTrees);
  for (let t = 0; t < numTrees; t++) treeInfo[t] = r.int32();
  let weightDrop: Float32Array | null = null;
  if (boosterName === 'dart' && numTrees > 0) {
    const n = r.uint64();
    weightDrop = new Float32Array(n);
    for (let i = 0; i < n; i++) weightDrop[i] = r.float32();
  }

  const attributes: Record<string, string> = {};
  if (hasAttributes) {
    const n = r.uint64();
    for (let i = 0; i < n; i++) {
      const key = r.string();
      attributes[key] = r.string();
    }
  }
  // The objective's own configuration (e.g. num_class of softmax) is kept as a JSON attribute.
  let objective = objectiveName;
  if (attributes.objective !== undefined) {
    const config = parseJsonAllowingNonFinite(attributes.objective) as { name?: unknown };
    if (typeof config.name === 'string') objective = config.name;
    delete attributes.objective;
  }
  delete attributes.metrics;

  return {
    version: [major, minor, 0],
    objective,
    numFeature,
    numClass: Math.max(numClass, 0),
    numTarget,
    baseScore: [baseScore],
    featureNames: null,
    featureTypes: null,
    attributes,
    trees,
    treeInfo,
    iterationIndptr: null,
    numParallelTree: Math.max(numParallelTree, 1),
    weightDrop,
  };
}

function readTree(r: Reader): RawTree {
  const param = r.take(TREE_PARAM_BYTES);
  const numNodes = param.getInt32(4, true);
  if (param.getInt32(20, true) > 1) throw new Error('vector-leaf trees are not supported');
  if (numNodes <= 0) throw new Error(`invalid tree with ${numNodes} nodes`);
  const nodes = r.take(numNodes * NODE_BYTES);
  r.skip(numNodes * STAT_BYTES);
  const left = new Int32Array(numNodes);
  const right = new Int32Array(numNodes);
  const splitIndex = new Uint32Array(numNodes);
  const splitCondition = new Float32Array(numNodes);
  const defaultLeft = new Uint8Array(numNodes);
  for (let i = 0; i < numNodes; i++) {
    const at = i * NODE_BYTES; // parent, cleft, cright, sindex (bit 31 = default left), info
    left[i] = nodes.getInt32(at + 4, true);
    right[i] = nodes.getInt32(at + 8, true);
    const sindex = nodes.getUint32(at + 12, true);
    splitIndex[i] = sindex & 0x7fffffff;
    defaultLeft[i] = sindex >>> 31;
    splitCondition[i] = nodes.getFloat32(at + 16, true);
  }
  return { left, right, splitIndex, splitCondition, defaultLeft, categories: new Map() };
}

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  peekAscii(n: number): string {
    return String.fromCharCode(...this.bytes.subarray(this.pos, this.pos + n));
  }

  take(n: number): DataView {
    const at = this.advance(n);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, n);
  }

  skip(n: number): void {
    this.advance(n);
  }

  int32(): number {
    return this.view.getInt32(this.advance(4), true);
  }

  float32(): number {
    return this.view.getFloat32(this.advance(4), true);
  }

  uint64(): number {
    const v = this.view.getBigUint64(this.advance(8), true);
    if (v > BigInt(this.bytes.length)) throw new Error(`invalid length ${v} at byte ${this.pos - 8}`);
    return Number(v);
  }

  string(): string {
    const n = this.uint64();
    const at = this.advance(n);
    return new TextDecoder().decode(this.bytes.subarray(at, at + n));
  }

  private advance(n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.length) throw new Error('the model file ends too early (not an XGBoost model?)');
    this.pos += n;
    return at;
  }
}
