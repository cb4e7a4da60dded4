/**
 * Shared by the xgboost/lightgbm tests: the generated reference cases (test/fixtures-gen/trees.py),
 * frames built like the codec builds them, MLmodel stubs, and a relative-tolerance comparison.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { frame, toNumber, type Frame, type ModelOutput, type Tensor } from '../../../src/model/data.js';
import { parseMLmodel, type MLmodel } from '../../../src/model/mlmodel.js';
import { REPO } from '../../helpers/fixtures.js';

export const GENERATED = join(REPO, 'test/.generated/trees');
export const logger = pino({ level: 'silent' });

export function haveGenerated(kind: 'xgboost' | 'lightgbm'): boolean {
  const ok = existsSync(join(GENERATED, kind, 'index.json'));
  if (!ok) console.warn(`test/.generated/trees/${kind} is missing: run \`npm run fixtures\` (skipping the ${kind} differential tests)`);
  return ok;
}

export interface CaseMeta {
  library: string;
  objective: string;
  model_class: string;
  feature_names: string[] | null;
  formats: string[];
  rows: number;
  cols: number;
  outputs: Record<string, { shape: number[]; dtype: string }>;
  iteration_range?: [number, number];
  best_iteration?: number;
  predict_labels?: string[];
  classes?: string[];
}

export interface Case {
  name: string;
  dir: string;
  meta: CaseMeta;
  /** Row-major test rows. */
  X: Float64Array;
  /** The same rows with NaN replaced (cases that have `*_dense` outputs), else null. */
  XDense: Float64Array | null;
  output(name: string): Float64Array;
}

export function caseNames(kind: 'xgboost' | 'lightgbm'): string[] {
  const file = join(GENERATED, kind, 'index.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { cases: string[] }).cases : [];
}

export function loadCase(kind: 'xgboost' | 'lightgbm', name: string): Case {
  const dir = join(GENERATED, kind, name);
  const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseMeta;
  const dense = join(dir, 'X_dense.f64');
  return {
    name,
    dir,
    meta,
    X: readF64(join(dir, 'X.f64')),
    XDense: existsSync(dense) ? readF64(dense) : null,
    output: (o) => readF64(join(dir, `${o}.f64`)),
  };
}

function readF64(path: string): Float64Array {
  const bytes = readFileSync(path);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** A frame of float64 columns from a row-major matrix (what the codec makes of dataframe_split). */
export function matrixFrame(X: Float64Array, rows: number, names: readonly string[]): Frame {
  const cols = names.length;
  return frame(
    [...names],
    names.map((_, j) => ({ dtype: 'float64' as const, values: Float64Array.from({ length: rows }, (_, r) => X[r * cols + j]!) })),
  );
}

/** A `dataframe_split` request body as the codec turns it into a Frame: numbers → float64 columns. */
export function splitFrame(split: { columns: string[]; data: unknown[][] }): Frame {
  return frame(
    split.columns,
    split.columns.map((_, j) => ({
      dtype: 'float64' as const,
      values: Float64Array.from(split.data, (row) => (row[j] === null ? NaN : toNumber(row[j]))),
    })),
  );
}

export function mlmodel(flavors: Record<string, Record<string, unknown>>): MLmodel {
  return parseMLmodel(JSON.stringify({ flavors }));
}

export function tensorOf(out: ModelOutput): Tensor {
  if (out.kind !== 'tensor') throw new Error(`expected a tensor output, got ${out.kind}`);
  return out.tensor;
}

/**
 * Elements that differ by more than `rel` relative to the expected value (relative to `floor`
 * for values smaller than it). Returns a short description of the first few, or '' when all agree.
 */
export function mismatches(actual: ArrayLike<unknown>, expected: ArrayLike<number>, rel = 1e-6, floor = 1e-6): string {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    const same = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= rel * Math.max(Math.abs(e), floor);
    if (!same) {
      count++;
      if (bad.length < 5) bad.push(`[${i}] ${a} != ${e}`);
    }
  }
  return count === 0 ? '' : `${count} of ${expected.length} differ: ${bad.join(', ')}`;
}
