/**
 * Categorical tree models served over HTTP answer every request as the real library answers
 * the data MLflow builds from it (test/fixtures-gen/categorical.py): XGBoost 1.7 models trained
 * with enable_categorical and LightGBM 4.7 models trained on pandas `category` columns (boosters,
 * sklearn-API files, pickles inside pipelines, old LightGBM 2.x/3.x pickle layouts) and
 * OrdinalEncoder pipelines, sent strings, unseen categories, category codes, numeric strings.
 * Where the library raises, flowgate answers MLflow's 400; where it predicts, the same values.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import { REPO } from '../../helpers/fixtures.js';
import { startFlowgate } from '../../helpers/server.js';
import { mismatches } from './helpers.js';

const ROOT = join(REPO, 'test/.generated/categorical');
type Outcome = { raises: string; message: string } | { predictions: unknown[]; dtype: string };

function cases(kind: string): string[] {
  const index = join(ROOT, kind, 'index.json');
  if (!existsSync(index)) {
    console.warn(`test/.generated/categorical/${kind} is missing: run \`npm run fixtures\` (skipping its categorical tests)`);
    return [];
  }
  return (JSON.parse(readFileSync(index, 'utf8')) as { cases: string[] }).cases;
}

const all = [...cases('xgboost').map((c) => ['xgboost', c] as const), ...cases('lightgbm').map((c) => ['lightgbm', c] as const)];

describe.skipIf(all.length === 0)('categorical tree models answer as their library does', () => {
  it('covers both libraries, pipelines and the old LightGBM pickle layouts', () => {
    const names = all.map(([, c]) => c);
    for (const expected of ['xgb_cat_booster_ubj', 'xgb_cat_classifier', 'xgb_cat_pipeline', 'xgb_ordinal_pipeline',
      'lgb_cat_booster', 'lgb_cat_classifier', 'lgb_cat_pipeline', 'lgb_ordinal_pipeline', 'lgb_legacy_v20_pipeline', 'lgb_legacy_v3_cat_classifier']) {
      expect(names).toContain(expected);
    }
  });

  describe.each(all)('%s %s', (kind, name) => {
    const dir = join(ROOT, kind, name);
    const requests = JSON.parse(readFileSync(join(ROOT, kind, 'requests.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Outcome>;
    const signed = readFileSync(join(dir, 'MLmodel'), 'utf8').includes('signature:');
    let server: RunningServer;
    beforeAll(async () => {
      server = await startFlowgate(dir);
    });
    afterAll(() => server?.close());

    // With a column signature MLflow refuses `inputs` lists before the model runs (no column names).
    const sent = Object.keys(requests).filter((r) => !(signed && 'inputs' in requests[r]!));
    it.each(sent)('%s', async (request) => {
      const res = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(requests[request]),
      });
      const body = (await res.json()) as { predictions?: unknown[]; error_code?: string; message?: string; stack_trace?: string };
      const want = expected[request]!;
      if ('raises' in want) {
        expect({ status: res.status, error_code: body.error_code }, `the library raises ${want.raises}: ${want.message}`).toEqual({ status: 400, error_code: 'BAD_REQUEST' });
        return;
      }
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.predictions).toHaveLength(want.predictions.length);
      if (want.dtype.startsWith('int')) expect(body.predictions).toEqual(want.predictions);
      else expect(mismatches(Float64Array.from(body.predictions as number[]), want.predictions as number[])).toBe('');
    });
  });
});
