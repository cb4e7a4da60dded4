/**
 * How request data reaches the trees: XGBoost wants its feature names in its own order (never
 * reordered by name), LightGBM reads by position, ndarray inputs, dicts of arrays refused as both
 * libraries refuse them, and the errors a caller gets for data that cannot fit
 * (test/flavors/trees/feature-names.test.ts proves the column rules against the libraries). Strings are never read as missing values: each library's own rule applies
 * (test/flavors/trees/categorical.test.ts proves them against the libraries).
 */
import { describe, expect, it } from 'vitest';
import { lightgbmFlavor } from '../../../flavors/lightgbm/index.js';
import { xgboostFlavor } from '../../../flavors/xgboost/index.js';
import { frame, type ModelInput } from '../../../src/model/data.js';
import { MlflowError } from '../../../src/errors.js';
import { inputMatrix, LibraryInputError, parseFloatCell, type FeatureSpec } from '../../../flavors/trees/input.js';
import { haveGenerated, loadCase, logger, matrixFrame, mismatches, mlmodel, tensorOf } from './helpers.js';

const HAVE = haveGenerated('xgboost') && haveGenerated('lightgbm');

function columns(X: Float64Array, rows: number, cols: number): Float64Array[] {
  return Array.from({ length: cols }, (_, j) => Float64Array.from({ length: rows }, (_, r) => X[r * cols + j]!));
}

describe.skipIf(!HAVE)('tree flavors: input columns', () => {
  const xc = HAVE ? loadCase('xgboost', 'reg_squarederror') : null;
  const lc = HAVE ? loadCase('lightgbm', 'regression') : null;
  const xgb = () => xgboostFlavor.load(xc!.dir, mlmodel({ xgboost: { data: 'model.json' } }), { logger });
  const lgb = () => lightgbmFlavor.load(lc!.dir, mlmodel({ lightgbm: { data: 'model.lgb' } }), { logger });

  it('XGBoost: a reordered frame with extra columns is the library\'s ValueError, never reordered by name', async () => {
    const c = xc!;
    const cols = columns(c.X, c.meta.rows, c.meta.cols);
    const names = c.meta.feature_names!;
    const order = [...names.keys()].reverse();
    const shuffled = frame(
      ['extra', ...order.map((j) => names[j]!)],
      [{ dtype: 'float64', values: new Float64Array(c.meta.rows).fill(7) }, ...order.map((j) => ({ dtype: 'float64' as const, values: cols[j]! }))],
    );
    const err = await (await xgb()).predict(shuffled, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).message).toMatch(/^feature_names mismatch: .*\ntraining data did not have the following fields: extra$/s);
    // The same columns in the model's order predict.
    const out = tensorOf(await (await xgb()).predict(matrixFrame(c.X, c.meta.rows, names), {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
  });

  it('XGBoost: a renamed feature is the library\'s ValueError, naming it', async () => {
    const c = xc!;
    const names = [...c.meta.feature_names!];
    names[2] = 'renamed';
    const err = await (await xgb()).predict(matrixFrame(c.X, c.meta.rows, names), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).message).toContain('expected f2 in input data');
  });

  it('LightGBM: other column names are read by position, as LightGBM does', async () => {
    const c = lc!;
    const names = c.meta.feature_names!.map((_, j) => `col${j}`);
    const out = tensorOf(await (await lgb()).predict(matrixFrame(c.X, c.meta.rows, names), {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
  });

  it('a column count that does not fit is the library\'s error', async () => {
    const c = lc!;
    const names = c.meta.feature_names!.slice(0, 4).map((_, j) => `col${j}`);
    const input = frame(names, names.map(() => ({ dtype: 'float64' as const, values: new Float64Array(3) })));
    const err = await (await lgb()).predict(input, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).message).toBe('The number of features in data (4) is not the same as it was in training data (6).');
  });

  it('an [n, features] ndarray (a model without signature) is read row by row', async () => {
    const c = lc!;
    const input: ModelInput = { kind: 'tensor', tensor: { dtype: 'float64', shape: [c.meta.rows, c.meta.cols], values: c.X } };
    const out = tensorOf(await (await lgb()).predict(input, {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
    const flat: ModelInput = { kind: 'tensor', tensor: { dtype: 'float64', shape: [c.X.length], values: c.X } };
    await expect((await lgb()).predict(flat, {})).rejects.toThrow(/2-dimensional/);
  });

  it('XGBoost: a Booster with feature names refuses an ndarray, as DMatrix(ndarray) has none', async () => {
    const c = xc!;
    const input: ModelInput = { kind: 'tensor', tensor: { dtype: 'float64', shape: [c.meta.rows, c.meta.cols], values: c.X } };
    const err = await (await xgb()).predict(input, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).message).toBe(`training data did not have the following fields: ${c.meta.feature_names!.join(', ')}`);
  });

  it.each(['xgboost', 'lightgbm'] as const)('%s: a dict of named columns (inputs without a signature) is refused, as the library refuses a dict', async (kind) => {
    const c = kind === 'xgboost' ? xc! : lc!;
    const cols = columns(c.X, c.meta.rows, c.meta.cols);
    const tensors = Object.fromEntries(c.meta.feature_names!.map((n, j) => [n, { dtype: 'float64' as const, shape: [c.meta.rows], values: cols[j]! }]));
    const model = kind === 'xgboost' ? await xgb() : await lgb();
    const err = await model.predict({ kind: 'tensors', tensors }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).name).toBe('TypeError');
  });

  // A DataFrame column of strings is pandas object: both libraries raise, even for numeric text.
  it.each(['xgboost', 'lightgbm'] as const)('%s: a string column in a DataFrame is the library\'s ValueError, never missing values', async (kind) => {
    const c = kind === 'xgboost' ? xc! : lc!;
    const cols = columns(c.X, c.meta.rows, c.meta.cols);
    const names = c.meta.feature_names!;
    const input = frame(
      names,
      cols.map((col, j) => (j === 0 ? { dtype: 'object' as const, values: Array.from(col, (v) => (Number.isNaN(v) ? null : String(v))) } : { dtype: 'float64' as const, values: col })),
    );
    const err = await (await (kind === 'xgboost' ? xgb() : lgb())).predict(input, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryInputError);
    expect((err as Error).name).toBe('ValueError');
    expect((err as Error).message).toContain(`${names[0]}: object`);
  });

  it('LightGBM Booster: an ndarray of numbers as text, booleans and nulls reads as numpy\'s astype(float32)', async () => {
    const c = lc!;
    const values: unknown[] = Array.from(c.X, (v, i) => (Number.isNaN(v) ? null : i % 3 === 0 ? String(v) : v));
    values[1] = true;
    const X = Float64Array.from(c.X, Math.fround);
    X[1] = 1;
    const text: ModelInput = { kind: 'tensor', tensor: { dtype: 'object', shape: [c.meta.rows, c.meta.cols], values } };
    const numbers: ModelInput = { kind: 'tensor', tensor: { dtype: 'float32', shape: [c.meta.rows, c.meta.cols], values: X } };
    const model = await lgb();
    expect(tensorOf(await model.predict(text, {})).values).toEqual(tensorOf(await model.predict(numbers, {})).values);
    const word: ModelInput = { kind: 'tensor', tensor: { dtype: 'string', shape: [1, c.meta.cols], values: ['red', ...new Array<string>(c.meta.cols - 1).fill('1')] } };
    await expect(model.predict(word, {})).rejects.toThrow("could not convert string to float: 'red'");
  });

  it('XGBoost: any string in an ndarray is refused (numpy str arrays are not an array interface XGBoost reads)', async () => {
    const c = xc!;
    const names = c.meta.feature_names!;
    const tensors = Object.fromEntries(names.map((n, j) => [n, { dtype: 'string' as const, shape: [1], values: [j === 0 ? '0.5' : '1'] }]));
    await expect((await xgb()).predict({ kind: 'tensors', tensors }, {})).rejects.toThrow(LibraryInputError);
  });
});

describe('numpy float() of a str cell', () => {
  it.each([
    ['1.5', 1.5], [' 2.5e3\n', 2500], ['-.5', -0.5], ['7.', 7], ['1_000', 1000], ['+nan', NaN], ['-Infinity', -Infinity], ['inf', Infinity],
  ] as const)('%j → %d', (text, value) => {
    expect(parseFloatCell(text)).toBe(value);
  });

  it.each(['', ' ', 'abc', '0x10', '1__0', '_1', '1_', '1,5', 'Infinityx'])('%j raises', (text) => {
    expect(() => parseFloatCell(text)).toThrow(`could not convert string to float: '${text}'`);
  });

  it('null is NaN, booleans 1/0, containers raise', () => {
    expect(parseFloatCell(null)).toBeNaN();
    expect(parseFloatCell(true)).toBe(1);
    expect(() => parseFloatCell([1])).toThrow("float() argument must be a string or a real number, not 'list'");
  });
});

describe('what each library computes an ndarray in', () => {
  const spec = (tensorToFloat32: boolean): FeatureSpec => ({
    names: null, count: 1, columns: 'position', fewerColumns: false, dictError: { name: 'TypeError', message: 'dict' }, recordsError: () => ({ name: 'TypeError', message: 'list' }), prepare: (v) => v, checkFrame: () => {}, tensorCell: parseFloatCell, tensorToFloat32,
  });
  const ints: ModelInput = { kind: 'tensor', tensor: { dtype: 'int64', shape: [2, 1], values: Float64Array.of(16777217, 3) } };
  const doubles: ModelInput = { kind: 'tensor', tensor: { dtype: 'float64', shape: [2, 1], values: Float64Array.of(16777217, 0.1) } };

  it('LightGBM casts an ndarray that is not float32/float64 to float32 (2^24 + 1 → 2^24)', () => {
    expect([...inputMatrix(ints, spec(true)).X]).toEqual([16777216, 3]);
    expect([...inputMatrix(doubles, spec(true)).X]).toEqual([16777217, 0.1]);
  });

  it('without that cast the values stay float64', () => {
    expect([...inputMatrix(ints, spec(false)).X]).toEqual([16777217, 3]);
  });
});
