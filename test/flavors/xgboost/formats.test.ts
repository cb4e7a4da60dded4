/**
 * What the 1.7 reference cannot write but newer XGBoost files hold, and what must fail at load:
 * per-output base_score vectors (3.1+), iteration_indptr (2.0+), DART folded into gbtree
 * (weight_drop in the gbtree model, 3.x), vector-leaf trees, gblinear, unknown objectives,
 * damaged files. Newer-format files are the 1.7 JSON rewritten as those versions write them;
 * expected values follow from the 1.7 margins.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseXgboostModel, xgboostFlavor } from '../../../flavors/xgboost/index.js';
import { FlavorError } from '../../../src/errors.js';
import { haveGenerated, loadCase, logger, matrixFrame, mismatches, mlmodel, tensorOf, type Case } from '../trees/helpers.js';

type Doc = { version: number[]; learner: Record<string, any> };

const tmp = mkdtempSync(join(tmpdir(), 'flowgate-xgb-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function docOf(c: Case): Doc {
  return JSON.parse(readFileSync(join(c.dir, 'model.json'), 'utf8')) as Doc;
}

async function predictWith(c: Case, doc: Doc, name: string, params = {}): Promise<Float64Array> {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
  const model = await xgboostFlavor.load(dir, mlmodel({ xgboost: { data: 'model.json' } }), { logger });
  const out = tensorOf(await model.predict(matrixFrame(c.X, c.meta.rows, c.meta.feature_names!), params));
  return out.values as Float64Array;
}

const f32 = Math.fround;

describe.skipIf(!haveGenerated('xgboost'))('xgboost: newer file layouts', () => {
  it('a base_score vector gives each class its own initial margin (XGBoost 3.1+)', async () => {
    const c = loadCase('xgboost', 'multi_softprob');
    const doc = docOf(c);
    doc.version = [3, 1, 0];
    const scores = [0.5, 0.1, -0.2, 1.5];
    doc.learner.learner_model_param.base_score = `[${scores.join(',')}]`;
    const margin = c.output('margin'); // 1.7: base 0.5 for every class
    const got = await predictWith(c, doc, 'vector', { output_margin: true });
    const expected = margin.map((m, i) => f32(f32(m - 0.5) + scores[i % 4]!));
    expect(mismatches(got, expected, 1e-6, 1)).toBe('');
  });

  it('iteration_indptr decides what an iteration is (XGBoost 2.0+)', async () => {
    const c = loadCase('xgboost', 'reg_squarederror');
    const doc = docOf(c);
    const model = doc.learner.gradient_booster.model;
    // Same trees, declared as iterations of 2 trees: iteration_range [1, 3) is trees 2..5.
    model.iteration_indptr = Array.from({ length: model.trees.length / 2 + 1 }, (_, i) => 2 * i);
    doc.version = [2, 0, 3];
    const all = await predictWith(c, doc, 'indptr');
    expect(mismatches(all, c.output('predict'))).toBe('');
    const half = await predictWith(c, doc, 'indptr', { iteration_range: [1, 3] });
    model.trees = model.trees.slice(2, 6).map((t: Record<string, unknown>, i: number) => ({ ...t, id: i }));
    model.tree_info = model.tree_info.slice(2, 6);
    model.gbtree_model_param.num_trees = '4';
    model.iteration_indptr = [0, 2, 4];
    expect(mismatches(half, await predictWith(c, doc, 'indptr-sliced'))).toBe('');
  });

  it('DART weights inside the gbtree model (XGBoost 3) predict like the 1.7 dart booster', async () => {
    const c = loadCase('xgboost', 'dart');
    const doc = docOf(c);
    const dart = doc.learner.gradient_booster;
    doc.learner.gradient_booster = { name: 'gbtree', model: { ...dart.gbtree.model, weight_drop: dart.weight_drop } };
    doc.version = [3, 0, 0];
    expect(mismatches(await predictWith(c, doc, 'dart3'), c.output('predict'))).toBe('');
  });
});

describe.skipIf(!haveGenerated('xgboost'))('xgboost: what fails at load names the reason', () => {
  const c = haveGenerated('xgboost') ? loadCase('xgboost', 'reg_squarederror') : null;
  const bytes = (doc: Doc) => new TextEncoder().encode(JSON.stringify(doc));

  it('an unknown objective', () => {
    const doc = docOf(c!);
    doc.learner.objective = { name: 'reg:fancyloss' };
    expect(() => parseXgboostModel(bytes(doc))).toThrow(/objective 'reg:fancyloss' is not supported/);
  });

  it('a linear booster', () => {
    const doc = docOf(c!);
    doc.learner.gradient_booster = { name: 'gblinear', model: {} };
    expect(() => parseXgboostModel(bytes(doc))).toThrow(/booster 'gblinear' is not supported/);
  });

  it('vector-leaf trees', () => {
    const doc = docOf(c!);
    doc.learner.gradient_booster.model.trees[0].tree_param.size_leaf_vector = '3';
    expect(() => parseXgboostModel(bytes(doc))).toThrow(/vector-leaf trees/);
  });

  it('a split on a feature the model does not have', () => {
    const doc = docOf(c!);
    doc.learner.gradient_booster.model.trees[0].split_indices[0] = 99;
    expect(() => parseXgboostModel(bytes(doc))).toThrow(/feature 99/);
  });

  it('a truncated legacy binary file, through the flavor as a FlavorError', async () => {
    const dir = join(tmp, 'truncated');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.xgb'), readFileSync(join(c!.dir, 'model.xgb')).subarray(0, 900));
    const err = await xgboostFlavor.load(dir, mlmodel({ xgboost: { data: 'model.xgb' } }), { logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlavorError);
    expect((err as Error).message).toMatch(/flavor xgboost: cannot load model.xgb: .*ends too early/);
  });

  it('an unsupported model_class', async () => {
    const err = await xgboostFlavor
      .load(c!.dir, mlmodel({ xgboost: { data: 'model.json', model_class: 'xgboost.dask.DaskXGBClassifier' } }), { logger })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlavorError);
    expect((err as Error).message).toContain('model_class xgboost.dask.DaskXGBClassifier is not supported');
  });
});
