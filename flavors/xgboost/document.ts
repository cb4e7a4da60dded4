/**
 * The JSON model document (XGBoost ≥ 1.0; the same tree for `.json` and `.ubj`) → BoosterParts.
 * Per-node fields are arrays in JSON and typed arrays in UBJSON; both read as ArrayLike.
 */
import type { BoosterParts, RawTree } from './booster.js';

type Obj = Record<string, unknown>;

export function partsFromDocument(doc: unknown): BoosterParts {
  const root = obj(doc, 'the model');
  const learner = obj(root.learner, 'learner');
  const params = obj(learner.learner_model_param, 'learner.learner_model_param');
  const objective = obj(learner.objective, 'learner.objective');
  const booster = obj(learner.gradient_booster, 'learner.gradient_booster');

  let gbtree = booster;
  let weightDrop: ArrayLike<number> | null = null;
  const boosterName = str(booster.name, 'gradient_booster.name');
  if (boosterName === 'dart') {
    // XGBoost < 3: {name: dart, gbtree: {model…}, weight_drop}. Later files fold DART into gbtree.
    gbtree = obj(booster.gbtree, 'gradient_booster.gbtree');
    weightDrop = numbers(booster.weight_drop, 'weight_drop');
  } else if (boosterName !== 'gbtree') {
    throw new Error(`booster '${boosterName}' is not supported (only tree boosters: gbtree, dart)`);
  }
  const model = obj(gbtree.model, 'gbtree.model');
  const modelParam = obj(model.gbtree_model_param, 'gbtree_model_param');
  if (model.weight_drop !== undefined) weightDrop = numbers(model.weight_drop, 'weight_drop');
  const trees = array(model.trees, 'trees').map((t, i) => rawTree(obj(t, `trees[${i}]`), i));
  if (model.cats !== undefined) checkStoredCategories(model.cats);

  return {
    version: version(root.version),
    objective: str(objective.name, 'objective.name'),
    numFeature: int(params.num_feature, 'num_feature'),
    numClass: int(params.num_class ?? '0', 'num_class'),
    numTarget: int(params.num_target ?? '1', 'num_target'),
    baseScore: parseBaseScore(str(params.base_score, 'base_score')),
    featureNames: stringList(learner.feature_names),
    featureTypes: stringList(learner.feature_types),
    attributes: attributes(learner.attributes),
    trees,
    treeInfo: numbers(model.tree_info, 'tree_info'),
    iterationIndptr: model.iteration_indptr === undefined ? null : numbers(model.iteration_indptr, 'iteration_indptr'),
    numParallelTree: int(modelParam.num_parallel_tree ?? '1', 'num_parallel_tree'),
    weightDrop,
  };
}

/** "5E-1", or a vector since XGBoost 3.1: "[5E-1,2.5E-1]" (XGBoost also accepts parentheses). */
export function parseBaseScore(text: string): number[] {
  const t = text.trim().replace(/^\(/, '[').replace(/\)$/, ']');
  const value: unknown = JSON.parse(t);
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'number')) throw new Error(`invalid base_score '${text}'`);
  return list as number[];
}

function rawTree(t: Obj, index: number): RawTree {
  const where = `trees[${index}]`;
  const param = obj(t.tree_param, `${where}.tree_param`);
  const leafVector = int(param.size_leaf_vector ?? '0', 'size_leaf_vector');
  if (leafVector > 1) {
    throw new Error('vector-leaf trees (multi_strategy="multi_output_tree") are not supported');
  }
  const left = numbers(t.left_children, `${where}.left_children`);
  return {
    left,
    right: numbers(t.right_children, `${where}.right_children`),
    splitIndex: numbers(t.split_indices, `${where}.split_indices`),
    splitCondition: numbers(t.split_conditions, `${where}.split_conditions`),
    defaultLeft: numbers(t.default_left, `${where}.default_left`),
    categories: categories(t, where),
  };
}

/** Categorical splits (XGBoost ≥ 1.5): categories_nodes[k] lists categories[segment[k] .. +size[k]]. */
function categories(t: Obj, where: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  if (t.categories_nodes === undefined) return out;
  const nodes = numbers(t.categories_nodes, `${where}.categories_nodes`);
  const segments = numbers(t.categories_segments, `${where}.categories_segments`);
  const sizes = numbers(t.categories_sizes, `${where}.categories_sizes`);
  const cats = numbers(t.categories, `${where}.categories`);
  if (segments.length !== nodes.length || sizes.length !== nodes.length) throw new Error(`${where}: categorical split arrays disagree`);
  for (let k = 0; k < nodes.length; k++) {
    const begin = segments[k]!;
    const end = begin + sizes[k]!;
    if (end > cats.length) throw new Error(`${where}: categorical split ${k} reaches past the categories`);
    out.set(nodes[k]!, Array.from({ length: end - begin }, (_, j) => cats[begin + j]!));
  }
  return out;
}

/** XGBoost's CatIndexType ids of integer category values (7 and 8, floats, fail its loader). */
const INTEGER_CATEGORY_TYPES = new Set([9, 10, 11, 12, 13, 14, 15, 16]);

/**
 * XGBoost >= 3.1 stores the training categories (`gbtree.model.cats`: per feature, strings as
 * arrow-style offsets + UTF-8 bytes, or typed integers) to recode a pandas `category` column
 * at prediction. A served request never has one (MLflow builds object columns, which DMatrix
 * refuses), so XGBoost's predictor takes the numbers it gets as codes, unrecoded, exactly as
 * for older models; the block is only checked here the way XGBoost's loader checks it.
 */
function checkStoredCategories(v: unknown): void {
  const cats = obj(v, 'gbtree.model.cats');
  const features = array(cats.enc, 'cats.enc');
  features.forEach((f, i) => {
    const column = obj(f, `cats.enc[${i}]`);
    if (column.offsets !== undefined) {
      const offsets = numbers(column.offsets, `cats.enc[${i}].offsets`);
      const bytes = numbers(column.values, `cats.enc[${i}].values`);
      for (let k = 1; k < offsets.length; k++) {
        if (offsets[k]! < offsets[k - 1]!) throw new Error(`cats.enc[${i}]: category offsets decrease`);
      }
      if (offsets.length > 0 && (offsets[0] !== 0 || offsets[offsets.length - 1] !== bytes.length)) {
        throw new Error(`cats.enc[${i}]: category offsets do not cover the category names`);
      }
      return;
    }
    const type = int(column.type, `cats.enc[${i}].type`);
    if (!INTEGER_CATEGORY_TYPES.has(type)) {
      throw new Error(`cats.enc[${i}]: categories of type ${type} (XGBoost loads only integer or string categories)`);
    }
    numbers(column.values, `cats.enc[${i}].values`);
  });
  numbers(cats.feature_segments, 'cats.feature_segments');
}

function version(v: unknown): [number, number, number] {
  if (v === undefined) return [1, 0, 0];
  const n = numbers(v, 'version');
  return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0];
}

function attributes(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(obj(v, 'attributes'))) out[k] = String(value);
  return out;
}

function stringList(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  return array(v, 'feature list').map((s) => String(s));
}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) throw new Error(`${what} is missing or not an object`);
  return v as Obj;
}

function array(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is missing or not an array`);
  return v;
}

function numbers(v: unknown, what: string): ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  const a = array(v, what);
  for (const x of a) if (typeof x !== 'number' && typeof x !== 'boolean') throw new Error(`${what} holds a non-number`);
  return a.map(Number);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} is missing or not a string`);
  return v;
}

/** XGBoost writes integer parameters as strings ("3"). */
function int(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} is not a non-negative integer: ${String(v)}`);
  return n;
}
