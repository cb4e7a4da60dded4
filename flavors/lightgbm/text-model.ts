/**
 * LightGBM's text model format (`model.lgb`, `Booster.model_to_string()`, and the model string
 * inside a pickled LGBMClassifier/LGBMRegressor) → the shared TreeEnsemble.
 *
 *   tree / version=v4 / num_class / num_tree_per_iteration / max_feature_idx / objective=…
 *   [average_output] / feature_names=… / …
 *   Tree=0 / num_leaves / split_feature / threshold / decision_type / left_child / right_child /
 *   leaf_value / [cat_boundaries, cat_threshold] / [is_linear, leaf_const, num_features,
 *   leaf_features, leaf_coeff] / …
 *   end of trees / feature_importances / parameters / pandas_categorical:…
 *
 * Internal nodes are 0..num_leaves-2; a child c < 0 is leaf ~c. decision_type bits: 1 categorical,
 * 2 default left, (>> 2) & 3 the missing type (0 None, 1 Zero, 2 NaN).
 */
import { buildEnsemble, nextUp, type SourceNode, type SourceTree } from '../trees/builder.js';
import type { TreeEnsemble } from '../trees/ensemble.js';
import { parseObjective, type LgbObjective } from './objective.js';

export interface LgbBooster {
  readonly objective: LgbObjective;
  /** Outputs per row: num_tree_per_iteration (classes for multiclass, else 1). */
  readonly numOutputs: number;
  readonly featureNames: readonly string[];
  /** rf boosting: the prediction is the mean over iterations, not the sum. */
  readonly averageOutput: boolean;
  readonly ensemble: TreeEnsemble;
  /**
   * The `pandas_categorical` line: the categories of each pandas `category` column the model
   * was trained on (null: trained without a DataFrame). Booster.predict compares a DataFrame's
   * category columns with it.
   */
  readonly pandasCategorical: readonly (readonly unknown[])[] | null;
}

/** Throws a plain Error naming what is wrong or unsupported; the flavor wraps it. */
export function parseLightgbmModel(text: string): LgbBooster {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'tree') throw new Error('not a LightGBM text model (the first line is not "tree")');
  const header = new Map<string, string>();
  let i = 1;
  for (; i < lines.length && !lines[i]!.startsWith('Tree='); i++) {
    const line = lines[i]!.trim();
    if (line === 'end of trees') break;
    const eq = line.indexOf('=');
    if (eq > 0) header.set(line.slice(0, eq), line.slice(eq + 1));
    else if (line !== '') header.set(line, '');
  }
  const numClass = intField(header, 'num_class', 1);
  const perIteration = intField(header, 'num_tree_per_iteration', numClass);
  const maxFeature = intField(header, 'max_feature_idx', -1);
  const featureNames = (header.get('feature_names') ?? '').split(' ').filter((n) => n !== '');
  const numFeatures = Math.max(maxFeature + 1, featureNames.length);
  const objective = parseObjective(header.get('objective') ?? '', perIteration);

  const trees: SourceTree[] = [];
  while (i < lines.length && lines[i]!.startsWith('Tree=')) {
    const fields = new Map<string, string>();
    for (i++; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('Tree=') || line.startsWith('end of trees')) break;
      const eq = line.indexOf('=');
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    trees.push(treeFrom(fields, trees.length, perIteration));
  }
  if (trees.length % perIteration !== 0) {
    throw new Error(`${trees.length} trees are not whole iterations of ${perIteration}`);
  }
  const pandasLine = lines.find((l) => l.startsWith('pandas_categorical:'));
  const ensemble = buildEnsemble({
    numFeatures,
    numOutputs: perIteration,
    float32: false,
    trees,
    treesPerIteration: new Array<number>(trees.length / perIteration).fill(perIteration),
  });
  return {
    objective,
    numOutputs: perIteration,
    featureNames,
    averageOutput: header.has('average_output'),
    ensemble,
    pandasCategorical: pandasLine === undefined ? null : parsePandasCategorical(pandasLine.slice('pandas_categorical:'.length)),
  };
}

function treeFrom(f: Map<string, string>, index: number, perIteration: number): SourceTree {
  const where = `Tree=${index}`;
  const numLeaves = Number(f.get('num_leaves'));
  if (!Number.isInteger(numLeaves) || numLeaves < 1) throw new Error(`${where}: invalid num_leaves`);
  const leafValue = numberList(f, 'leaf_value', numLeaves, where);
  const internal = numLeaves - 1;
  const nodes: SourceNode[] = [];
  const child = (c: number): number => (c >= 0 ? c : internal + ~c);

  if (internal > 0) {
    const feature = numberList(f, 'split_feature', internal, where);
    const threshold = numberList(f, 'threshold', internal, where);
    const decision = numberList(f, 'decision_type', internal, where);
    const left = numberList(f, 'left_child', internal, where);
    const right = numberList(f, 'right_child', internal, where);
    const numCat = Number(f.get('num_cat') ?? '0');
    const catBoundaries = numCat > 0 ? numberList(f, 'cat_boundaries', numCat + 1, where) : [];
    const catThreshold = numCat > 0 ? numberList(f, 'cat_threshold', catBoundaries[numCat]!, where) : [];
    for (let n = 0; n < internal; n++) {
      const dt = decision[n]!;
      const missingType = (dt >> 2) & 3;
      const t = threshold[n]!;
      const categorical = (dt & 1) !== 0;
      if (categorical && (!Number.isInteger(t) || t < 0 || t >= numCat)) throw new Error(`${where}: categorical split ${n} names bitset ${t}`);
      nodes.push({
        leaf: false,
        feature: feature[n]!,
        left: child(left[n]!),
        right: child(right[n]!),
        threshold: categorical ? NaN : nextUp(t),
        // Categorical: NaN never matches a category (right). Numerical missing type None reads NaN as 0.
        missingLeft: categorical ? false : missingType === 0 ? 0 <= t : (dt & 2) !== 0,
        zeroIsMissing: !categorical && missingType === 1,
        leftCategories: categorical ? bitsetCategories(catThreshold, catBoundaries[t]!, catBoundaries[t + 1]!) : undefined,
        categoryTruncates: categorical,
      });
    }
  }
  const linear = f.get('is_linear') === '1';
  const linearLeaves = linear ? linearTerms(f, numLeaves, where) : null;
  for (let l = 0; l < numLeaves; l++) {
    nodes.push({ leaf: true, value: leafValue[l]!, ...(linearLeaves ? { linear: linearLeaves[l]! } : {}) });
  }
  // The root is internal node 0, or the only leaf (also at 0) of a one-leaf tree.
  return { output: index % perIteration, root: 0, nodes };
}

function linearTerms(f: Map<string, string>, numLeaves: number, where: string) {
  const constants = numberList(f, 'leaf_const', numLeaves, where);
  const counts = numberList(f, 'num_features', numLeaves, where);
  const total = counts.reduce((a, b) => a + b, 0);
  const features = numberList(f, 'leaf_features', total, where);
  const coeffs = numberList(f, 'leaf_coeff', total, where);
  let at = 0;
  return counts.map((n, l) => {
    const leaf = { constant: constants[l]!, features: features.slice(at, at + n), coeffs: coeffs.slice(at, at + n) };
    at += n;
    return leaf;
  });
}

function bitsetCategories(words: number[], begin: number, end: number): number[] {
  const out: number[] = [];
  for (let w = begin; w < end; w++) {
    const word = words[w]! >>> 0;
    for (let b = 0; b < 32; b++) if ((word >>> b) & 1) out.push((w - begin) * 32 + b);
  }
  return out;
}

function numberList(f: Map<string, string>, key: string, expected: number, where: string): number[] {
  const text = f.get(key);
  if (text === undefined) throw new Error(`${where}: missing ${key}`);
  const values = text.split(' ').filter((s) => s !== '').map(parseNumber);
  if (values.length !== expected || values.some((v) => Number.isNaN(v))) {
    throw new Error(`${where}: ${key} should hold ${expected} numbers`);
  }
  return values;
}

/** C's printf writes infinities as inf / -inf. */
function parseNumber(s: string): number {
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf') return Infinity;
  if (l === '-inf') return -Infinity;
  return Number(s);
}

function intField(header: Map<string, string>, key: string, fallback: number): number {
  const text = header.get(key);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`invalid ${key}=${text}`);
  return n;
}

/** LightGBM writes `json.dumps(pandas_categorical)`: null or a list of lists. */
export function parsePandasCategorical(text: string): LgbBooster['pandasCategorical'] {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    throw new Error(`the pandas_categorical line is not JSON: ${text.slice(0, 80)}`);
  }
  return checkPandasCategorical(value);
}

export function checkPandasCategorical(value: unknown): LgbBooster['pandasCategorical'] {
  if (value === null) return null;
  if (!Array.isArray(value) || !value.every((c) => Array.isArray(c))) throw new Error('pandas_categorical is not a list of category lists');
  return value as unknown[][];
}
