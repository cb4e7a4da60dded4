/**
 * XGBoost >= 3.1 models keep their training categories in the model file (`gbtree.model.cats`).
 * No XGBoost 3 runs on this machine, so the model is the generated XGBoost 1.7 categorical
 * booster given the block exactly as xgboost/src/data/cat_container.cc (CatContainer::Save)
 * writes it: served requests predict the same as before (their numbers are codes: XGBoost only
 * recodes a pandas `category` DMatrix, which MLflow never builds), strings are MLflow's 400, and
 * a block XGBoost's loader refuses (float categories) is refused at load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseXgboostModel } from '../../../flavors/xgboost/index.js';
import { XgboostModel } from '../../../flavors/xgboost/model.js';
import { sklearnMeta } from '../../../flavors/xgboost/sklearn-meta.js';
import { LibraryInputError } from '../../../flavors/trees/input.js';
import { frame } from '../../../src/model/data.js';
import { inferDType } from '../../../src/model/infer.js';
import { REPO } from '../../helpers/fixtures.js';
import { mismatches, tensorOf } from '../trees/helpers.js';

const CASE = join(REPO, 'test/.generated/categorical/xgboost/xgb_cat_booster_json');
const HAVE = existsSync(join(CASE, 'model.json'));
if (!HAVE) console.warn('test/.generated/categorical/xgboost is missing: run `npm run fixtures` (skipping the XGBoost 3.1 categories test)');

/** A string column as CatContainer::Save writes it: I32 offsets (n + 1) and the UTF-8 bytes as I8. */
function stringColumn(names: string[]): { offsets: number[]; values: number[] } {
  const bytes: number[] = [];
  const offsets = [0];
  for (const n of names) {
    for (const b of new TextEncoder().encode(n)) bytes.push(b > 127 ? b - 256 : b);
    offsets.push(bytes.length);
  }
  return { offsets, values: bytes };
}

/** The 1.7 file as XGBoost 3.1 writes it (its JSON has bare NaN, so edited as text). */
function withStoredCategories(cats: unknown): Uint8Array {
  const text = readFileSync(join(CASE, 'model.json'), 'utf8');
  const edited = text
    .replace('"gradient_booster":{"model":{', `"gradient_booster":{"model":{"cats":${JSON.stringify(cats)},`)
    .replace(/"version":\[1,7,\d+\]/, '"version":[3,1,0]');
  expect(edited.match(/"cats":/g)).toHaveLength(1);
  expect(edited).toContain('"version":[3,1,0]');
  return new TextEncoder().encode(edited);
}

const colors = ['red', 'green', 'blue', 'amber'];
const sizes = ['XL', 'S', 'M'];
const STORED = {
  enc: [stringColumn(colors), stringColumn(sizes), { type: 15, values: [] }, { type: 15, values: [] }],
  feature_segments: [0, 4, 7, 7, 7],
  // argsort of each feature's names (for recoding lookups), as CatContainer::Sort leaves it
  sorted_idx: [3, 2, 1, 0, 0, 2, 1],
};

function splitFrame(columns: string[], data: unknown[][]) {
  return frame(columns, columns.map((_, j) => {
    const values = data.map((row) => row[j]);
    const dtype = inferDType(values);
    return dtype === 'string' || dtype === 'object' ? { dtype, values } : { dtype, values: Float64Array.from(values, (v) => (v === null ? NaN : Number(v))) };
  }));
}

describe.skipIf(!HAVE)('XGBoost 3.1 models with stored categories', () => {
  const requests = HAVE ? (JSON.parse(readFileSync(join(CASE, '..', 'requests.json'), 'utf8')) as Record<string, { dataframe_split: { columns: string[]; data: unknown[][] } }>) : {};
  const expected = HAVE ? (JSON.parse(readFileSync(join(CASE, 'expected.json'), 'utf8')) as Record<string, { predictions: number[] }>) : {};
  const model = () => {
    const booster = parseXgboostModel(withStoredCategories(STORED));
    return new XgboostModel(booster, 'booster', sklearnMeta(booster.attributes));
  };

  it('reads the version and predicts category codes as XGBoost 1.7 did', async () => {
    const m = model();
    expect(m.booster.version).toEqual([3, 1, 0]);
    const { columns, data } = requests.codes_frame!.dataframe_split;
    const out = tensorOf(await m.predict(splitFrame(columns, data), {}));
    expect(mismatches(out.values, expected.codes_frame!.predictions)).toBe('');
  });

  it('answers strings with the library\'s ValueError (MLflow\'s 400), never as missing values', async () => {
    const { columns, data } = requests.strings!.dataframe_split;
    const err = await model().predict(splitFrame(columns, data), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).message).toContain('Invalid columns:color: object, size: object');
  });

  it('refuses at load what XGBoost\'s loader refuses', () => {
    const floats = { ...STORED, enc: [{ type: 8, values: [0.5, 1.5] }, ...STORED.enc.slice(1)] };
    expect(() => parseXgboostModel(withStoredCategories(floats))).toThrow(/categories of type 8/);
    const short = { ...STORED, enc: [{ offsets: [0, 3, 9], values: [114, 101, 100] }, ...STORED.enc.slice(1)] };
    expect(() => parseXgboostModel(withStoredCategories(short))).toThrow(/do not cover/);
  });
});
