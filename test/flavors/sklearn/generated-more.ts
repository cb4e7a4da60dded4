/**
 * The fixtures test/fixtures-gen/sklearn-more.py writes (one directory per reference
 * scikit-learn), and a differential suite per estimator family: each case's pickles are loaded
 * through the flavor and every method sklearn answered is compared, values and errors alike.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Column, DType, Tensor } from '../../../src/model/data.js';
import type { Estimator } from '../../../flavors/sklearn/estimator.js';
import { readSklearnModel } from '../../../flavors/sklearn/index.js';
import { FlavorError } from '../../../src/errors.js';
import type { Table } from '../../../flavors/sklearn/table.js';

export const GENERATED_MORE = 'test/.generated/sklearn-more';
export const NO_GENERATED_MORE =
  'generated sklearn-more fixtures are absent: run test/fixtures-gen/sklearn-more.sh (or npm run fixtures) to create them';

interface InputColumn {
  name: string;
  dtype: 'float64' | 'float32' | 'int64' | 'bool' | 'str' | 'object';
  values: unknown[];
}

interface Expected {
  dtype: string;
  shape: number[];
  values: unknown[];
  names?: string[];
}

type Outcome = Expected | { error: string };

interface Batch {
  input: { frame: boolean; columns: InputColumn[] };
  predict?: Outcome;
  predict_proba?: Outcome;
  predict_log_proba?: Outcome;
  predict_joint_log_proba?: Outcome;
  decision_function?: Outcome;
  transform?: Outcome;
}

export interface MoreCase {
  name: string;
  family: string;
  estimator: string;
  rtol: number;
  atol: number;
  files: Record<string, string>;
  batches: Record<string, Batch>;
}

export interface Refusal {
  name: string;
  file: string;
  words: string[];
}

interface Generated {
  dir: string;
  version: string;
  cases: MoreCase[];
  refusals: Refusal[];
}

/** The fixtures under `root` (sklearn-more.sh's by default; sklearn-wild.sh writes the same format). */
export function generatedMore(root = GENERATED_MORE): Generated[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d.startsWith('sk') && existsSync(join(root, d, 'cases.json')))
    .map((d) => {
      const dir = join(root, d);
      const meta = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: MoreCase[]; refusals: Refusal[] };
      return { dir, version: d, cases: meta.cases, refusals: meta.refusals };
    });
}

/** A JSON cell of an object column back as the JS value flowgate would hold. */
function cellValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const tagged = (v as Record<string, unknown>).__float__;
    if (tagged !== undefined) return special(tagged);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cellValue(x)]));
  }
  if (Array.isArray(v)) return v.map(cellValue);
  return v;
}

function special(v: unknown): unknown {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

function column(c: InputColumn): Column {
  switch (c.dtype) {
    case 'float64':
    case 'float32':
    case 'int64':
    case 'bool':
      return {
        dtype: c.dtype,
        values: Float64Array.from(c.values, (v) => (v === null ? NaN : v === true ? 1 : v === false ? 0 : (special(v) as number))),
      };
    case 'str':
      return { dtype: 'string', values: c.values.map(cellValue) };
    default:
      return { dtype: 'object', values: c.values.map(cellValue) };
  }
}

export function tableOf(input: Batch['input']): Table {
  const columns = input.columns.map(column);
  return { rows: columns[0]?.values.length ?? 0, names: input.frame ? input.columns.map((c) => c.name) : null, columns };
}

const NUMERIC: readonly DType[] = ['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64'];

/** A transform's table as the one ndarray numpy's hstack would make (common dtype, row-major). */
export function tensorOfTable(X: Table): Tensor {
  const dtypes = new Set(X.columns.map((c) => c.dtype));
  const allNumeric = [...dtypes].every((d) => NUMERIC.includes(d));
  const dtype: DType = dtypes.size === 1 ? [...dtypes][0]! : allNumeric ? 'float64' : 'object';
  const cols = X.columns.length;
  const values: unknown[] = new Array(X.rows * cols);
  X.columns.forEach((c, j) => {
    for (let i = 0; i < X.rows; i++) values[i * cols + j] = c.values[i];
  });
  return { dtype, shape: [X.rows, cols], values: NUMERIC.includes(dtype) ? Float64Array.from(values as number[]) : values };
}

const DTYPE_NAMES: Record<string, string> = { str: 'string' };

/** The tolerances of float32 results. */
export const FLOAT32_RTOL = 1e-5;
export const FLOAT32_ATOL = 1e-6;

/** Problems comparing flowgate's answer with sklearn's (empty = the same: labels exact, floats within tolerance). */
export function mismatches(actual: Tensor, expected: Expected, rtol: number, atol: number): string[] {
  const problems: string[] = [];
  const dtype = DTYPE_NAMES[expected.dtype] ?? expected.dtype;
  if (actual.dtype !== dtype) problems.push(`dtype ${actual.dtype}, expected ${dtype}`);
  if (JSON.stringify(actual.shape) !== JSON.stringify(expected.shape)) {
    return [...problems, `shape (${actual.shape.join(', ')}), expected (${expected.shape.join(', ')})`];
  }
  for (let i = 0; i < expected.values.length; i++) {
    const e = cellValue(special(expected.values[i]));
    const a = actual.values[i];
    let ok: boolean;
    if (typeof a === 'number' && typeof e === 'number') {
      ok = Object.is(a, e) || a === e || (Number.isNaN(a) && Number.isNaN(e)) || Math.abs(a - e) <= rtol * Math.max(Math.abs(a), Math.abs(e)) + atol;
    } else if (typeof a === 'number' && typeof e === 'boolean') {
      ok = a === Number(e);
    } else {
      ok = a === e;
    }
    if (!ok) problems.push(`[${i}] ${String(a)} != ${String(e)}`);
  }
  return problems;
}

const METHODS = {
  predict: 'predict',
  predict_proba: 'predictProba',
  predict_log_proba: 'predictLogProba',
  predict_joint_log_proba: 'predictJointLogProba',
  decision_function: 'decisionFunction',
  transform: 'transform',
} as const;

async function answer(estimator: Estimator, method: keyof typeof METHODS, X: Table): Promise<{ tensor: Tensor; names: readonly string[] | null }> {
  if (method === 'transform') {
    const out = estimator.transform!(X);
    return { tensor: tensorOfTable(out), names: out.names };
  }
  const fn = estimator[METHODS[method]]!;
  return { tensor: await fn.call(estimator, X), names: null };
}

/** Compares every method of one case in every batch; returns how many answers were compared. */
export async function compareCase(dir: string, c: MoreCase, file: string): Promise<number> {
  const estimator = readSklearnModel(readFileSync(join(dir, file)), file);
  let compared = 0;
  for (const [batchName, batch] of Object.entries(c.batches)) {
    const X = tableOf(batch.input);
    for (const method of Object.keys(METHODS) as (keyof typeof METHODS)[]) {
      const expected = batch[method];
      if (expected === undefined) continue;
      const where = `${c.name} ${batchName}.${method}`;
      const key = METHODS[method];
      // pyfunc never calls these unless they exist
      if ((method === 'predict_joint_log_proba' || method === 'decision_function') && estimator[key] === undefined) continue;
      // a method flowgate lacks is refused at load; sklearn failing on this batch tells nothing more
      if ('error' in expected && estimator[key] === undefined) continue;
      expect(estimator[key], `${where}: flowgate has it`).toBeTypeOf('function');
      if ('error' in expected) {
        await expect((async () => answer(estimator, method, X))(), `${where} fails as sklearn did: ${expected.error}`).rejects.toThrow();
        continue;
      }
      const { tensor, names } = await answer(estimator, method, X);
      // LabelEncoder.transform returns a 1-D array; flowgate's transformers always return tables
      const shaped = expected.shape.length === 1 && tensor.shape.length === 2 && tensor.shape[1] === 1 ? { ...tensor, shape: [tensor.shape[0]!] } : tensor;
      // float32 results agree to float32 precision (numpy rounds each float32 operation, in an order and
      // with casting rules that changed across versions): 1e-5 relative, 1e-6 absolute near zero
      const float32 = expected.dtype === 'float32';
      const rtol = float32 ? Math.max(c.rtol, FLOAT32_RTOL) : c.rtol;
      const atol = float32 ? Math.max(c.atol, FLOAT32_ATOL) : c.atol;
      const problems = mismatches(shaped, expected, rtol, atol);
      expect(problems.slice(0, 5), `${where}: ${problems.length} mismatches`).toEqual([]);
      if (expected.names !== undefined) expect(names, `${where}: pandas column names`).toEqual(expected.names);
      compared++;
    }
  }
  return compared;
}

/** One differential suite for the cases of the given families, in every generated version. */
export function describeFamily(title: string, families: readonly string[], root = GENERATED_MORE, absent = NO_GENERATED_MORE): void {
  const generated = generatedMore(root);
  describe.skipIf(generated.length === 0)(`${title} vs scikit-learn (differential)`, () => {
    if (generated.length === 0) it.skip(absent, () => {});
    for (const { dir, version, cases } of generated) {
      for (const c of cases.filter((x) => families.includes(x.family))) {
        for (const [format, file] of Object.entries(c.files)) {
          it(`${version} ${c.name} (${format})`, async () => {
            expect(await compareCase(dir, c, file)).toBeGreaterThan(0);
          });
        }
      }
    }
  });
}

/** Every refusal a generator recorded: the load fails with a FlavorError naming the words it lists. */
export function describeRefusals(title: string, root = GENERATED_MORE, absent = NO_GENERATED_MORE): void {
  const generated = generatedMore(root);
  describe.skipIf(generated.length === 0)(title, () => {
    if (generated.length === 0) it.skip(absent, () => {});
    for (const { dir, version, refusals } of generated) {
      for (const r of refusals) {
        it(`${version} ${r.name}`, () => {
          let error: unknown = null;
          try {
            readSklearnModel(readFileSync(join(dir, r.file)), r.file);
          } catch (err) {
            error = err;
          }
          expect(error, `${r.name} is refused`).toBeInstanceOf(FlavorError);
          const message = (error as Error).message;
          expect(message.startsWith('flavor sklearn: '), message).toBe(true);
          for (const word of r.words) expect(message.toLowerCase()).toContain(word.toLowerCase());
        });
      }
    }
  });
}
