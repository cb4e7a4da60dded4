/**
 * `inputs` as a list of records, to a model without a signature: MLflow's scoring server hands the
 * model that Python list of dicts itself (no schema makes a DataFrame of it), and ONNX, scikit-learn,
 * XGBoost and LightGBM all raise on it: MLflow's generic 400, never an answer read as a DataFrame.
 * The same rows as `dataframe_records` are a DataFrame and are answered. Checked against the real
 * MLflow 2.17.2 (test/differential/real-mlflow-trees.test.ts for the trees); here on the shared
 * real-MLflow models with their signature removed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, MLFLOW_REAL } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'flowgate-records-list-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of a shared model without its signature, and its signature's column names. */
function unsigned(name: string): { dir: string; columns: string[] } {
  const dir = join(root, name);
  cpSync(join(MLFLOW_REAL, 'models', name), dir, { recursive: true });
  const text = readFileSync(join(dir, 'MLmodel'), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('signature:'));
  let end = start + 1;
  while (end < lines.length && (lines[end]!.startsWith(' ') || lines[end] === '')) end++;
  const signature = lines.slice(start, end).join('\n');
  writeFileSync(join(dir, 'MLmodel'), [...lines.slice(0, start), ...lines.slice(end)].join('\n'));
  const inputs = signature.slice(0, signature.indexOf('outputs:'));
  const columns = [...inputs.matchAll(/"name": "([^"]+)"/g)].map((m) => m[1]!);
  return { dir, columns };
}

describe.skipIf(!HAVE_SHARED)('a list of records reaches a model without a signature as a list', () => {
  it.each(['onnx_diabetes_linear', 'sk_diabetes_linreg', 'xgb_diabetes_booster_json', 'lgb_diabetes_booster'])('%s', async (name) => {
    const { dir, columns } = unsigned(name);
    expect(readFileSync(join(dir, 'MLmodel'), 'utf8')).not.toContain('signature');
    expect(columns.length).toBeGreaterThan(1);
    const records = [0, 1].map((r) => Object.fromEntries(columns.map((c, j) => [c, 0.01 * (j + 1) - 0.02 * r])));
    const server = await startFlowgate(dir, { workers: '0' });
    try {
      const post = async (body: unknown): Promise<{ status: number; body: { error_code?: string; predictions?: unknown[] } }> => {
        const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as { error_code?: string; predictions?: unknown[] } };
      };
      const asFrame = await post({ dataframe_records: records });
      expect(asFrame.status, JSON.stringify(asFrame.body)).toBe(200);
      expect(asFrame.body.predictions).toHaveLength(2);
      const asList = await post({ inputs: records });
      expect({ status: asList.status, error_code: asList.body.error_code }, JSON.stringify(asList.body)).toEqual({ status: 400, error_code: 'BAD_REQUEST' });
    } finally {
      await server.close();
    }
  });
});
