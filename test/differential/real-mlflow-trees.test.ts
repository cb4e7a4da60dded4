/**
 * XGBoost and LightGBM models (Booster, scikit-learn API, inside scikit-learn pipelines, with and
 * without a signature, a signature in another column order) against the REAL MLflow 2.17.2 scoring
 * server (../shared/tools/real-mlflow): every request of test/fixtures-gen/feature-names.py plus the
 * variations below (CSV headers, integer column labels, extra and missing keys, lists of records,
 * duplicate labels) is answered by MLflow's own scoring server (mlflow_scoring.py, in-process, a
 * fresh model per request) and by flowgate. A 200 from either must be the same status and the same
 * body byte for byte; a refusal the same status and error_code, and for MLflow's own schema errors
 * (INVALID_PARAMETER_VALUE) the same reason.
 *
 * The models are made here by MLflow's environment itself (Debian's xgboost 1.7 / scikit-learn 1.2,
 * lightgbm from the local wheelhouse). Skips with a message where `import mlflow` fails (CI: the
 * MLflow source snapshot cannot be fetched there); SA_ROOT picks the set-up tree (default /tmp/real-mlflow).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';

const TOOLS = join(REPO, '..', 'shared', 'tools', 'real-mlflow');
const SA_ROOT = process.env.SA_ROOT ?? '/tmp/real-mlflow';
const PY = '/usr/bin/python3';
const PY_ENV = {
  ...process.env,
  SA_ROOT,
  PYTHONPATH: `${SA_ROOT}/src:${SA_ROOT}/site:${SA_ROOT}/extras`,
  GIT_PYTHON_REFRESH: 'quiet',
  MLFLOW_TRACKING_URI: `file:${SA_ROOT}/default-mlruns`,
};
const probe = existsSync(TOOLS) ? spawnSync(PY, ['-c', 'import mlflow, xgboost, lightgbm, sklearn'], { env: PY_ENV, encoding: 'utf8' }) : null;
const HAVE_MLFLOW = probe !== null && probe.status === 0;
if (!HAVE_MLFLOW) {
  console.warn(
    `real MLflow not available (${probe === null ? `${TOOLS} absent` : `import mlflow, xgboost, lightgbm, sklearn failed in ${SA_ROOT}: ${(probe.stderr ?? '').trim().split('\n').pop()}`}): ` +
      'skipping the tree models compared with MLflow\'s own scoring server (set it up per ../shared/tools/real-mlflow/README.md)',
  );
}

interface Request { name: string; content_type: string; body: string }
interface Answer { model: string; name: string; status: number; body: string }

const NAMES = ['a', 'b', 'c', 'd'];
const ROWS = [[0.5, -1.0, 2.0, 0.1], [-1.5, 0.3, -0.7, 1.2], [2.2, 1.1, 0.4, -0.9], [0.0, -0.4, -1.8, 2.5]];
const num = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));
const pick = (order: readonly string[], row: readonly number[]): number[] => order.map((c) => (NAMES.includes(c) ? row[NAMES.indexOf(c)]! : 9.5));
/** Records written by hand: their key order is the request's (JSON.stringify would move integer-like keys first). */
const recordsText = (keys: readonly string[], rows: readonly (readonly number[])[]): string =>
  `[${rows.map((r) => `{${keys.map((k, j) => `"${k}": ${num(r[j]!)}`).join(', ')}}`).join(', ')}]`;
const csv = (header: readonly string[], rows: readonly (readonly number[])[]): string => `${header.join(',')}\n${rows.map((r) => r.map(num).join(',')).join('\n')}\n`;
const json = (body: unknown): Request['body'] => JSON.stringify(body);
const J = 'application/json';

/** What feature-names.py does not send: CSV, integer labels, keys added or dropped, lists of records. */
const VARIATIONS: Request[] = [
  { name: 'split_int_columns', content_type: J, body: json({ dataframe_split: { columns: [0, 1, 2, 3], data: ROWS } }) },
  { name: 'split_int_columns_reversed', content_type: J, body: json({ dataframe_split: { columns: [3, 2, 1, 0], data: ROWS.map((r) => [...r].reverse()) } }) },
  { name: 'split_str_int_columns', content_type: J, body: json({ dataframe_split: { columns: ['0', '1', '2', '3'], data: ROWS } }) },
  { name: 'split_index', content_type: J, body: json({ dataframe_split: { index: [5, 6, 7, 8], columns: NAMES, data: ROWS } }) },
  { name: 'split_integers', content_type: J, body: json({ dataframe_split: { columns: NAMES, data: [[1, -1, 2, 0], [0, 3, -1, 1]] } }) },
  { name: 'split_null', content_type: J, body: json({ dataframe_split: { columns: NAMES, data: [[0.5, null, 2.0, 0.1], ...ROWS.slice(1)] } }) },
  { name: 'split_string_number', content_type: J, body: json({ dataframe_split: { columns: NAMES, data: [['0.5', -1.0, 2.0, 0.1], ...ROWS.slice(1)] } }) },
  { name: 'records_extra_key_first', content_type: J, body: `{"dataframe_records": ${recordsText(['e', 'd', 'c', 'b', 'a'], ROWS.map((r) => pick(['e', 'd', 'c', 'b', 'a'], r)))}}` },
  { name: 'records_missing_key_last_row', content_type: J, body: `{"dataframe_records": [${recordsText(NAMES, ROWS.slice(0, 3)).slice(1, -1)}, {"a": 0.0, "c": -1.8, "d": 2.5}]}` },
  { name: 'records_missing_key_first_row', content_type: J, body: `{"dataframe_records": [{"a": 0.0, "c": -1.8, "d": 2.5}, ${recordsText(NAMES, ROWS.slice(1)).slice(1, -1)}]}` },
  { name: 'records_integer_keys_reversed', content_type: J, body: `{"dataframe_records": ${recordsText(['3', '2', '1', '0'], ROWS.map((r) => [...r].reverse()))}}` },
  { name: 'instances_rows', content_type: J, body: json({ instances: ROWS }) },
  { name: 'instances_dict_reordered', content_type: J, body: json({ instances: Object.fromEntries(['d', 'c', 'b', 'a'].map((n) => [n, ROWS.map((r) => r[NAMES.indexOf(n)])])) }) },
  { name: 'inputs_rows_integers', content_type: J, body: json({ inputs: [[1, -1, 2, 0], [0, 3, -1, 1]] }) },
  { name: 'inputs_rows_wider', content_type: J, body: json({ inputs: ROWS.map((r) => [...r, 9.5]) }) },
  { name: 'inputs_rows_narrower', content_type: J, body: json({ inputs: ROWS.map((r) => r.slice(0, 3)) }) },
  { name: 'inputs_one_row', content_type: J, body: json({ inputs: ROWS[0] }) },
  { name: 'inputs_records_reordered', content_type: J, body: `{"inputs": ${recordsText(['d', 'c', 'b', 'a'], ROWS.map((r) => [...r].reverse()))}}` },
  { name: 'inputs_dict_extra_first', content_type: J, body: json({ inputs: Object.fromEntries(['e', 'd', 'c', 'b', 'a'].map((n) => [n, ROWS.map((r) => pick([n], r)[0])])) }) },
  { name: 'csv_same_order', content_type: 'text/csv', body: csv(NAMES, ROWS) },
  { name: 'csv_reordered', content_type: 'text/csv', body: csv(['d', 'c', 'b', 'a'], ROWS.map((r) => pick(['d', 'c', 'b', 'a'], r))) },
  { name: 'csv_shuffled', content_type: 'text/csv', body: csv(['c', 'a', 'd', 'b'], ROWS.map((r) => pick(['c', 'a', 'd', 'b'], r))) },
  { name: 'csv_extra_last', content_type: 'text/csv', body: csv([...NAMES, 'e'], ROWS.map((r) => pick([...NAMES, 'e'], r))) },
  { name: 'csv_extra_first', content_type: 'text/csv', body: csv(['e', ...NAMES], ROWS.map((r) => pick(['e', ...NAMES], r))) },
  { name: 'csv_missing', content_type: 'text/csv', body: csv(['a', 'b', 'c'], ROWS.map((r) => pick(['a', 'b', 'c'], r))) },
  { name: 'csv_integer_header', content_type: 'text/csv', body: csv(['0', '1', '2', '3'], ROWS) },
  { name: 'csv_integer_header_reversed', content_type: 'text/csv', body: csv(['3', '2', '1', '0'], ROWS.map((r) => [...r].reverse())) },
  { name: 'csv_index_column', content_type: 'text/csv', body: `,${NAMES.join(',')}\n${ROWS.map((r, i) => `${i},${r.map(num).join(',')}`).join('\n')}\n` },
];

/** `model dir -> requests`, the models made by MLflow's environment under `root`. */
function makeModels(root: string): Map<string, Request[]> {
  const run = (args: string[]): void => {
    const r = spawnSync(PY, ['-P', ...args], { env: PY_ENV, encoding: 'utf8', cwd: root, timeout: 300_000 });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  };
  const models = new Map<string, Request[]>();
  for (const kind of ['xgboost', 'lightgbm']) {
    run([join(REPO, 'test/fixtures-gen/feature-names.py'), kind, root]);
    const dir = join(root, kind);
    const requests: Request[] = readdirSync(join(dir, 'requests')).sort().map((f) => ({
      name: f.replace(/\.json$/, ''),
      content_type: J,
      // the body as Python wrote it (key order kept)
      body: readFileSync(join(dir, 'requests', f), 'utf8'),
    }));
    for (const c of indexOf(dir)) models.set(join(dir, c), [...requests, ...VARIATIONS]);
  }
  run([join(REPO, 'test/differential/tree_variants.py'), join(root, 'variants')]);
  const generated = JSON.parse(readFileSync(join(root, 'xgboost', 'requests.json'), 'utf8')) as Record<string, unknown>;
  const requests = Object.keys(generated).map((name) => ({ name, content_type: J, body: readFileSync(join(root, 'xgboost', 'requests', `${name}.json`), 'utf8') }));
  for (const c of indexOf(join(root, 'variants'))) models.set(join(root, 'variants', c), [...requests, ...VARIATIONS]);
  return models;
}

function indexOf(dir: string): string[] {
  return (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { cases: string[] }).cases;
}

function errorOf(body: string): { error_code?: string; message?: string } {
  try {
    return JSON.parse(body) as { error_code?: string; message?: string };
  } catch {
    return { message: body };
  }
}

/**
 * The reason of an MLflow schema error, without its rendering of the data (pandas' repr) and with
 * its "extra inputs" as a sorted set: MLflow lists a Python set there (string order varies from
 * run to run) and integer labels unquoted.
 */
function reason(message = ''): string {
  return message
    .slice(message.lastIndexOf('Error: '))
    .replace(/extra inputs: \[(.*)\]$/, (_, list: string) => `extra inputs: ${list.split(', ').map((n) => n.replace(/^'|'$/g, '')).sort().join(', ')}`);
}

describe.skipIf(!HAVE_MLFLOW)('tree models answer as the real MLflow 2.17.2 scoring server does', () => {
  let root: string;
  let models: Map<string, Request[]>;
  let mlflow: Map<string, Answer>;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flowgate-real-mlflow-trees-'));
    models = makeModels(root);
    const spec = [...models].map(([model, requests]) => ({ model, requests }));
    const r = spawnSync(PY, ['-P', join(REPO, 'test/differential/mlflow_scoring.py')], {
      env: PY_ENV, input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 900_000,
    });
    if (r.status !== 0) throw new Error(`mlflow_scoring.py failed: ${r.stderr}`);
    mlflow = new Map((JSON.parse(r.stdout) as Answer[]).map((a) => [`${a.model} ${a.name}`, a]));
  }, 1_200_000);
  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('every request: a 200 is the same body byte for byte, a refusal the same status and error_code', async () => {
    const mismatches: string[] = [];
    const messageDifferences: string[] = [];
    const statuses = new Map<string, number>();
    for (const [dir, requests] of models) {
      const server = await startFlowgate(dir, { workers: '0' });
      try {
        for (const req of requests) {
          const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': req.content_type }, body: req.body });
          const body = await res.text();
          const want = mlflow.get(`${dir} ${req.name}`)!;
          const label = `${dir.split('/').slice(-1)[0]} ${req.name}`;
          statuses.set(`${want.status}`, (statuses.get(`${want.status}`) ?? 0) + 1);
          if (want.status === 200 || res.status === 200) {
            if (res.status !== want.status || body !== want.body) {
              mismatches.push(`${label}: MLflow ${want.status} ${want.body.slice(0, 300)}\n    flowgate ${res.status} ${body.slice(0, 300)}`);
            }
            continue;
          }
          const [m, f] = [errorOf(want.body), errorOf(body)];
          if (res.status !== want.status || m.error_code !== f.error_code ||
            (m.error_code === 'INVALID_PARAMETER_VALUE' && reason(m.message) !== reason(f.message))) {
            mismatches.push(`${label}: MLflow ${want.status} ${m.error_code} ${String(m.message).slice(0, 300)}\n    flowgate ${res.status} ${f.error_code} ${String(f.message).slice(0, 300)}`);
          } else if (m.message !== f.message) {
            messageDifferences.push(label);
          }
        }
      } finally {
        await server.close();
      }
    }
    const compared = [...models.values()].reduce((n, r) => n + r.length, 0);
    console.info(`${compared} requests on ${models.size} models compared with MLflow's scoring server`);
    if (messageDifferences.length > 0) {
      console.info(`${messageDifferences.length} refusals agree on status and error_code but not on the message text (the data's repr, or MLflow's generic BAD_REQUEST text)`);
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
    // The comparison covered both outcomes, on every model made.
    expect(models.size).toBeGreaterThanOrEqual(30);
    expect(statuses.get('200')).toBeGreaterThan(300);
    expect(statuses.get('400')).toBeGreaterThan(300);
  }, 1_200_000);
});
