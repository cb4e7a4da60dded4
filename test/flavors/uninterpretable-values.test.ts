/**
 * Property, over every flavor: a value the model cannot interpret, put in a cell the model reads
 * as a number, never gets a 200. Each MLflow model of the shared fixtures (scikit-learn 1.2/1.9,
 * XGBoost, LightGBM, ONNX, Keras) and of the generated categorical ones is served twice, as saved
 * and with its signature removed (so the value reaches the flavor itself, as in MLflow, where
 * pandas/numpy hand it to the library), and its serving_input_example.json (a 2-D `inputs` one
 * also as a DataFrame) is sent with one numeric cell replaced by a word, an empty string, a
 * decimal comma, hex, a dict... at seeded random places. Every such request must be MLflow's 400: each library raises on these values (numpy's
 * float() of them fails, DMatrix and LightGBM refuse object columns and str arrays); the
 * library-exact answers to the values a library does read (codes, unseen categories, numeric
 * strings) are proved against the libraries in trees/categorical.test.ts.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';
import { MLFLOW_REAL, MLFLOW_REAL_TF, needsTfjsNode, REPO } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';
import { seededRandom } from '../../src/endpoints/bandit.js';

const UNINTERPRETABLE: readonly unknown[] = ['abc', '', ' ', '1,5', '0x1A', '1e', '--1', { k: 1 }];
const PER_VARIANT = 12;

interface ModelCase {
  label: string;
  dir: string;
}

function modelsUnder(root: string, label: string, skip: (name: string) => boolean = () => false): ModelCase[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => existsSync(join(root, n, 'serving_input_example.json')) && !skip(n))
    .sort()
    .map((n) => ({ label: `${label}/${n}`, dir: join(root, n) }));
}

const generated = join(REPO, 'test/.generated/categorical');
const models: ModelCase[] = [
  ...modelsUnder(join(MLFLOW_REAL, 'models'), 'mlflow-real'),
  // SavedModels need the optional tfjs-node addon; their refusals are the tensorflow tests' business.
  ...modelsUnder(join(MLFLOW_REAL_TF, 'models'), 'mlflow-real-tf', (n) => needsTfjsNode(MLFLOW_REAL_TF, n)),
];
for (const kind of ['xgboost', 'lightgbm']) {
  const root = join(generated, kind);
  if (!existsSync(root)) continue;
  for (const n of readdirSync(root).filter((n) => existsSync(join(root, n, 'MLmodel'))).sort()) {
    // Generated models have no serving example: the categorical request with codes is theirs.
    models.push({ label: `categorical/${kind}/${n}`, dir: join(root, n) });
  }
}
if (models.length === 0) console.warn('no shared or generated MLflow models found: skipping the uninterpretable-values property');


type Body = { dataframe_split: { columns?: string[]; data: unknown[][] } } | { inputs: unknown };

/** The example, and a 2-D `inputs` example also as a DataFrame (integer column labels, as pandas gives it). */
function bodyForms(example: Body): Body[] {
  if (!('inputs' in example) || !Array.isArray(example.inputs)) return [example];
  const rows = example.inputs as unknown[];
  if (!rows.every((r) => Array.isArray(r) && r.every((c) => !Array.isArray(c)))) return [example];
  return [example, { dataframe_split: { data: rows as unknown[][] } }];
}

/**
 * The model's serving example (MLflow writes bare NaN in it). Generated models have none: their
 * request in the form the model reads as numbers (codes; strings for the OrdinalEncoder pipelines,
 * whose string columns take any string).
 */
function exampleOf(dir: string): Body {
  const file = join(dir, 'serving_input_example.json');
  if (existsSync(file)) return parseJsonLenient(readFileSync(file, 'utf8')) as Body;
  const requests = JSON.parse(readFileSync(join(dir, '..', 'requests.json'), 'utf8')) as Record<string, Body>;
  return dir.includes('ordinal') ? requests.strings! : requests.codes_frame!;
}

/** Paths to the numeric leaves of a body: [row, column] of a DataFrame, or an index path into `inputs`. */
function numericCells(body: Body): number[][] {
  const out: number[][] = [];
  const walk = (v: unknown, path: number[]): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (typeof v === 'number') out.push(path);
  };
  walk('dataframe_split' in body ? body.dataframe_split.data : body.inputs, []);
  return out;
}

function withCell(body: Body, path: number[], value: unknown): Body {
  const copy = structuredClone(body);
  let at = ('dataframe_split' in copy ? copy.dataframe_split.data : copy.inputs) as unknown[];
  for (const i of path.slice(0, -1)) at = at[i] as unknown[];
  at[path[path.length - 1]!] = value;
  return copy;
}

/** The model folder with MLmodel's signature removed (a copy under a temporary folder). */
function unsigned(dir: string, scratch: string): string {
  const target = join(scratch, dir.replace(/[^A-Za-z0-9]+/g, '_'));
  cpSync(dir, target, { recursive: true });
  const lines = readFileSync(join(target, 'MLmodel'), 'utf8').split('\n');
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^signature:/.test(line)) skipping = true;
    else if (skipping && /^\S/.test(line)) skipping = false;
    if (!skipping) kept.push(line);
  }
  writeFileSync(join(target, 'MLmodel'), kept.join('\n'));
  return target;
}

describe.skipIf(models.length === 0)('a value the model cannot interpret never yields a 200', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flowgate-uninterpretable-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('covers every flavor', () => {
    const flavors = new Set(models.map((m) => readFileSync(join(m.dir, 'MLmodel'), 'utf8').match(/loader_module: mlflow\.(\w+)/)?.[1]));
    // ONNX models come only with the shared fixtures; the generated ones are trees and sklearn pipelines
    const required = existsSync(join(MLFLOW_REAL, 'models')) ? ['sklearn', 'xgboost', 'lightgbm', 'onnx'] : ['sklearn', 'xgboost', 'lightgbm'];
    for (const f of required) expect(flavors).toContain(f);
  });

  describe.each(models.map((m, i) => [m.label, m, i] as const))('%s', (_label, model, index) => {
    it.each(['as saved', 'without its signature'] as const)('%s', async (variant) => {
      const dir = variant === 'as saved' ? model.dir : unsigned(model.dir, scratch);
      const forms = bodyForms(exampleOf(model.dir));
      for (const form of forms) expect(numericCells(form).length).toBeGreaterThan(0);
      let server: RunningServer;
      try {
        server = await startFlowgate(dir);
      } catch (err) {
        throw new Error(`${model.label} does not load (${variant}): ${(err as Error).message}`, { cause: err });
      }
      try {
        const next = seededRandom(1000 + index * 2 + (variant === 'as saved' ? 0 : 1));
        const answers: string[] = [];
        for (let k = 0; k < PER_VARIANT; k++) {
          const form = forms[k % forms.length]!;
          const cells = numericCells(form);
          const path = cells[Math.floor(next() * cells.length)]!;
          const value = UNINTERPRETABLE[Math.floor(next() * UNINTERPRETABLE.length)];
          const res = await fetch(`${server.url}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(withCell(form, path, value)),
          });
          const where = `${'inputs' in form ? 'inputs' : 'dataframe_split'} ${JSON.stringify(path)}`;
          if (res.status !== 400) answers.push(`${JSON.stringify(value)} at ${where}: ${res.status} ${(await res.text()).slice(0, 200)}`);
        }
        expect(answers).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });
});
