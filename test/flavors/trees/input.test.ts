/**
 * How request data reaches the trees: columns matched by the model's feature names (in any
 * order, extra columns ignored), by position when the model has none or (LightGBM) the names
 * differ, ndarray and dict-of-arrays inputs, and the errors a caller gets for data that
 * cannot fit.
 */
import { describe, expect, it } from 'vitest';
import { lightgbmFlavor } from '../../../flavors/lightgbm/index.js';
import { xgboostFlavor } from '../../../flavors/xgboost/index.js';
import { frame, type ModelInput } from '../../../src/model/data.js';
import { MlflowError } from '../../../src/errors.js';
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

  it('matches columns by feature name, in any order, ignoring extra ones', async () => {
    const c = xc!;
    const cols = columns(c.X, c.meta.rows, c.meta.cols);
    const names = c.meta.feature_names!;
    const order = [...names.keys()].reverse();
    const shuffled = frame(
      ['extra', ...order.map((j) => names[j]!)],
      [{ dtype: 'float64', values: new Float64Array(c.meta.rows).fill(7) }, ...order.map((j) => ({ dtype: 'float64' as const, values: cols[j]! }))],
    );
    const out = tensorOf(await (await xgb()).predict(shuffled, {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
  });

  it('XGBoost: a missing feature name is the caller\'s error, naming it', async () => {
    const c = xc!;
    const names = [...c.meta.feature_names!];
    names[2] = 'renamed';
    const err = await (await xgb()).predict(matrixFrame(c.X, c.meta.rows, names), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('BAD_REQUEST');
    expect((err as Error).message).toContain("the input lacks ['f2']");
  });

  it('LightGBM: other column names are read by position, as LightGBM does', async () => {
    const c = lc!;
    const names = c.meta.feature_names!.map((_, j) => `col${j}`);
    const out = tensorOf(await (await lgb()).predict(matrixFrame(c.X, c.meta.rows, names), {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
  });

  it('a column count that does not fit is the caller\'s error', async () => {
    const c = lc!;
    const names = c.meta.feature_names!.slice(0, 4).map((_, j) => `col${j}`);
    const input = frame(names, names.map(() => ({ dtype: 'float64' as const, values: new Float64Array(3) })));
    const err = await (await lgb()).predict(input, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as Error).message).toContain('expects 6 features, but the input has 4 columns');
  });

  it('an [n, features] ndarray (a model without signature) is read row by row', async () => {
    const c = xc!;
    const input: ModelInput = { kind: 'tensor', tensor: { dtype: 'float64', shape: [c.meta.rows, c.meta.cols], values: c.X } };
    const out = tensorOf(await (await xgb()).predict(input, {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
    const flat: ModelInput = { kind: 'tensor', tensor: { dtype: 'float64', shape: [c.X.length], values: c.X } };
    await expect((await xgb()).predict(flat, {})).rejects.toThrow(/2-dimensional/);
  });

  it('a dict of named columns works like a frame', async () => {
    const c = lc!;
    const cols = columns(c.X, c.meta.rows, c.meta.cols);
    const tensors = Object.fromEntries(c.meta.feature_names!.map((n, j) => [n, { dtype: 'float64' as const, shape: [c.meta.rows], values: cols[j]! }]));
    const out = tensorOf(await (await lgb()).predict({ kind: 'tensors', tensors }, {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
  });

  it('numbers sent as strings or booleans read as numpy would', async () => {
    const c = lc!;
    const cols = columns(c.X, c.meta.rows, c.meta.cols);
    const input = frame(
      c.meta.feature_names!,
      cols.map((col, j) => (j === 0 ? { dtype: 'object' as const, values: Array.from(col, (v) => (Number.isNaN(v) ? null : String(v))) } : { dtype: 'float64' as const, values: col })),
    );
    const out = tensorOf(await (await lgb()).predict(input, {}));
    expect(mismatches(out.values, c.output('predict'))).toBe('');
  });
});
