/**
 * LightGBM's decision rules on a hand-written model (no Python needed), at the edges the
 * generated models rarely hit: a value exactly on a threshold (`<=` goes left), NaN under each
 * missing type, ±1e-36 read as 0, categories past the first bitset word, negative and
 * fractional categories, and a model string with a custom objective (raw scores).
 */
import { describe, expect, it } from 'vitest';
import { LightgbmModel, parseLightgbmModel } from '../../../flavors/lightgbm/index.js';
import { frame } from '../../../src/model/data.js';

/** One tree: node 0 splits `split`, its left leaf is 1, its right leaf is 2. */
function model(split: { decision: number; threshold: number; catBoundaries?: string; catThreshold?: string }, objective = 'regression'): string {
  const cat = split.catBoundaries !== undefined;
  return [
    'tree',
    'version=v4',
    'num_class=1',
    'num_tree_per_iteration=1',
    'label_index=0',
    'max_feature_idx=0',
    objective === '' ? '' : `objective=${objective}`,
    'feature_names=x',
    '',
    'Tree=0',
    'num_leaves=2',
    `num_cat=${cat ? 1 : 0}`,
    'split_feature=0',
    `threshold=${split.threshold}`,
    `decision_type=${split.decision}`,
    'left_child=-1',
    'right_child=-2',
    'leaf_value=1 2',
    ...(cat ? [`cat_boundaries=${split.catBoundaries}`, `cat_threshold=${split.catThreshold}`] : []),
    'is_linear=0',
    'shrinkage=1',
    '',
    'end of trees',
    '',
    'pandas_categorical:null',
  ].join('\n');
}

async function leaves(text: string, xs: number[]): Promise<number[]> {
  const m = new LightgbmModel(parseLightgbmModel(text));
  const out = await m.predict(frame(['x'], [{ dtype: 'float64', values: Float64Array.from(xs) }]));
  return Array.from((out as { tensor: { values: Float64Array } }).tensor.values);
}

describe('lightgbm decision rules', () => {
  it('x <= threshold goes left, a double just above goes right', async () => {
    const t = 0.30000000000000004;
    expect(await leaves(model({ decision: 8, threshold: t }), [t, t + Number.EPSILON / 2, 0.3, -Infinity, Infinity])).toEqual([1, 2, 1, 1, 2]);
  });

  it('missing type None reads NaN as 0', async () => {
    expect(await leaves(model({ decision: 0, threshold: 0.5 }), [NaN, 0.7])).toEqual([1, 2]);
    expect(await leaves(model({ decision: 0, threshold: -0.5 }), [NaN, -0.7])).toEqual([2, 1]);
  });

  it('missing type NaN sends NaN the default way', async () => {
    expect(await leaves(model({ decision: 8 | 2, threshold: -5 }), [NaN, 0])).toEqual([1, 2]);
    expect(await leaves(model({ decision: 8, threshold: 5 }), [NaN, 0])).toEqual([2, 1]);
  });

  it('missing type Zero sends 0, ±1e-36 and NaN the default way', async () => {
    expect(await leaves(model({ decision: 4, threshold: -5 }), [0, 1e-36, -1e-36, NaN, 1e-30, -6])).toEqual([2, 2, 2, 2, 2, 1]);
    expect(await leaves(model({ decision: 4 | 2, threshold: 5 }), [0, 1e-36, NaN, 6])).toEqual([1, 1, 1, 2]);
  });

  it('categorical: set bits go left; NaN, negatives, unseen go right; -0.5 and 33.7 truncate', async () => {
    // Categories {0, 33} in a two-word bitset: word 0 = 1 << 0, word 1 = 1 << 1.
    const text = model({ decision: 1, threshold: 0, catBoundaries: '0 2', catThreshold: '1 2' });
    expect(await leaves(text, [0, 33, 33.7, -0.5, 1, 32, 34, 64, 1e6, -1, NaN])).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('no objective line: raw scores', async () => {
    expect(await leaves(model({ decision: 8, threshold: 0 }, ''), [-1, 1])).toEqual([1, 2]);
  });

  it('an unknown objective fails at load, naming it', () => {
    expect(() => parseLightgbmModel(model({ decision: 8, threshold: 0 }, 'fancy_loss'))).toThrow(/objective 'fancy_loss' is not supported/);
  });

  it('a damaged file fails at load, naming what is wrong', () => {
    expect(() => parseLightgbmModel('not a model')).toThrow(/not a LightGBM text model/);
    expect(() => parseLightgbmModel(model({ decision: 8, threshold: 0 }).replace('leaf_value=1 2', 'leaf_value=1'))).toThrow(/Tree=0: leaf_value should hold 2 numbers/);
  });
});
