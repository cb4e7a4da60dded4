/**
 * One pipeline per estimator family of the third set (MLP, AdaBoost, Bagging, Stacking,
 * calibration, IsolationForest, KMeans, quantile transform, text, TransformedTargetRegressor,
 * numpy ufunc, 1.0-era OneHotEncoder), saved as an MLflow model directory and served over HTTP
 * by a real flowgate server: /invocations with the batch as `dataframe_split` answers
 * scikit-learn's predictions (1e-6 relative).
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFlowgate } from '../../helpers/server.js';
import { generatedMore, type MoreCase } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

const SERVED = [
  'mlp_clf_multi_str', 'ada_logistic', 'bag_svc_votes', 'stack_clf_multi', 'cal_sigmoid_linearsvc', 'iforest_default',
  'kmeans_scaled_pipeline', 'quantile_normal_lr', 'tfidf_lr_multi', 'ttr_log1p', 'ufunc_log1p_lr', 'ohe_1_0_in_pipeline_lr',
];

const generated = generatedMore(GENERATED_WILD);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function modelDir(pickle: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-sk-wild-'));
  dirs.push(dir);
  copyFileSync(pickle, join(dir, 'model.pkl'));
  writeFileSync(join(dir, 'MLmodel'), [
    'flavors:',
    '  python_function:',
    '    loader_module: mlflow.sklearn',
    '    model_path: model.pkl',
    '    predict_fn: predict',
    '  sklearn:',
    '    pickled_model: model.pkl',
    '    serialization_format: cloudpickle',
  ].join('\n'));
  return dir;
}

interface Column {
  name: string;
  values: unknown[];
}

/** The batch as MLflow's dataframe_split: columns by name, rows of JSON values. */
function dataframeSplit(columns: Column[]): string {
  const rows = columns[0]!.values.map((_, i) => columns.map((c) => c.values[i]));
  return JSON.stringify({ dataframe_split: { columns: columns.map((c) => c.name), data: rows } });
}

function flatten(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v];
}

describe.skipIf(generated.length === 0)('third-set sklearn pipelines served over HTTP', () => {
  if (generated.length === 0) it.skip(NO_GENERATED_WILD, () => {});
  for (const { dir, version, cases } of generated) {
    for (const c of cases.filter((x: MoreCase) => SERVED.includes(x.name))) {
      it(`${version} ${c.name}: /invocations answers scikit-learn's predict`, async () => {
        const batch = c.batches.main!;
        const expected = batch.predict;
        if (expected === undefined || 'error' in expected) throw new Error(`${c.name}: no reference predictions`);
        const server = await startFlowgate(modelDir(join(dir, c.files.cloudpickle ?? c.files.pickle!)));
        try {
          const res = await fetch(`${server.url}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: dataframeSplit(batch.input.columns as Column[]),
          });
          const text = await res.text();
          expect(res.status, text.slice(0, 500)).toBe(200);
          const got = flatten((JSON.parse(text) as { predictions: unknown }).predictions);
          expect(got.length).toBe(expected.values.length);
          const wrong = expected.values.flatMap((e, i) => {
            const a = got[i];
            const ok = typeof e === 'number' && typeof a === 'number'
              ? Math.abs(a - e) <= 1e-6 * Math.max(Math.abs(a), Math.abs(e)) + c.atol
              : a === e;
            return ok ? [] : [`[${i}] ${String(a)} != ${String(e)}`];
          });
          expect(wrong.slice(0, 5), `${wrong.length} wrong predictions`).toEqual([]);
        } finally {
          await server.close();
        }
      });
    }
  }
});
