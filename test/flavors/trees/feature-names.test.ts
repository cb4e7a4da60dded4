/**
 * Requests whose columns differ from a tree model's features (reordered, extra, missing, renamed,
 * records with their own key order, dicts of columns) answer over HTTP exactly as MLflow + the real
 * library answer them (test/fixtures-gen/feature-names.py): XGBoost 1.7 insists on its feature
 * names in its own order; LightGBM 4.7 reads a DataFrame by position and ignores names; scikit-learn
 * steps check the names they were fitted on; a signature first makes the frame the schema's columns
 * in the schema's order. A reordered frame never answers 200 with the columns read by name where the
 * library reads them by position, or the other way round.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import { REPO } from '../../helpers/fixtures.js';
import { startFlowgate } from '../../helpers/server.js';
import { mismatches } from './helpers.js';

const ROOT = join(REPO, 'test/.generated/feature-names');
type Outcome = { raises: string; message: string } | { mlflow_error: string } | { predictions: number[]; dtype: string };

function cases(kind: string): string[] {
  const index = join(ROOT, kind, 'index.json');
  if (!existsSync(index)) {
    console.warn(`test/.generated/feature-names/${kind} is missing: run \`npm run fixtures\` (skipping its feature-name tests)`);
    return [];
  }
  return (JSON.parse(readFileSync(index, 'utf8')) as { cases: string[] }).cases;
}

const all = [...cases('xgboost').map((c) => ['xgboost', c] as const), ...cases('lightgbm').map((c) => ['lightgbm', c] as const)];

function expectedOf(kind: string, name: string): Record<string, Outcome> {
  return JSON.parse(readFileSync(join(ROOT, kind, name, 'expected.json'), 'utf8')) as Record<string, Outcome>;
}

describe.skipIf(all.length === 0)('tree models read request columns as their library does', () => {
  it('the fixtures show the mechanisms: XGBoost refuses a reordered frame, LightGBM reads it by position, a signature reorders', () => {
    const names = all.map(([, c]) => c);
    for (const c of ['xgb_booster_named', 'xgb_regressor_named', 'xgb_pipeline_named', 'xgb_pipeline_scaled', 'xgb_booster_signed_shuffled',
      'lgb_booster_named', 'lgb_classifier_named', 'lgb_pipeline_named', 'lgb_pipeline_scaled', 'lgb_booster_signed_shuffled']) {
      expect(names).toContain(c);
    }
    if (names.includes('xgb_booster_named')) {
      expect(expectedOf('xgboost', 'xgb_booster_named').split_reordered).toMatchObject({ raises: 'ValueError' });
    }
    if (names.includes('lgb_booster_named')) {
      const lgb = expectedOf('lightgbm', 'lgb_booster_named');
      const same = (lgb.split_same_order as { predictions: number[] }).predictions;
      const reordered = (lgb.split_reordered as { predictions: number[] }).predictions;
      // Positional: the same values by name give a different answer once the columns move.
      expect(reordered).not.toEqual(same);
      const signed = expectedOf('lightgbm', 'lgb_booster_signed');
      expect(signed.split_reordered).toEqual(signed.split_same_order);
    }
  });

  describe.each(all)('%s %s', (kind, name) => {
    const dir = join(ROOT, kind, name);
    const requests = JSON.parse(readFileSync(join(ROOT, kind, 'requests.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const expected = expectedOf(kind, name);
    let server: RunningServer;
    beforeAll(async () => {
      server = await startFlowgate(dir);
    });
    afterAll(() => server?.close());

    it.each(Object.keys(requests))('%s', async (request) => {
      const res = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(requests[request]),
      });
      const body = (await res.json()) as { predictions?: unknown[]; error_code?: string; message?: string };
      const want = expected[request]!;
      if ('raises' in want || 'mlflow_error' in want) {
        const why = 'raises' in want ? `the library raises ${want.raises}: ${want.message}` : `MLflow refuses: ${want.mlflow_error}`;
        // MLflow's schema failures are its INVALID_PARAMETER_VALUE; the library's exceptions its generic BAD_REQUEST.
        const code = 'raises' in want ? 'BAD_REQUEST' : 'INVALID_PARAMETER_VALUE';
        expect({ status: res.status, error_code: body.error_code }, `${why}; flowgate: ${JSON.stringify(body)}`).toEqual({ status: 400, error_code: code });
        if ('mlflow_error' in want) expect(body.message).toContain(want.mlflow_error);
        return;
      }
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.predictions).toHaveLength(want.predictions.length);
      if (want.dtype.startsWith('int')) expect(body.predictions).toEqual(want.predictions);
      else expect(mismatches(Float64Array.from(body.predictions as number[]), want.predictions)).toBe('');
    });
  });
});
