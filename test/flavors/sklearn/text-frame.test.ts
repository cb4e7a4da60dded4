/**
 * A deliberate difference: a pipeline starting with a text vectorizer, given the request's
 * DataFrame, is what scikit-learn misreads (it iterates the column names as the documents, so
 * MLflow answers one prediction per column whatever the rows). flowgate refuses it with a 400
 * that says how to select the text column, instead of answering 200 with that.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSklearnModel } from '../../../flavors/sklearn/index.js';
import { startFlowgate } from '../../helpers/server.js';
import { generatedMore, tableOf } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

const generated = generatedMore(GENERATED_WILD);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.skipIf(generated.length === 0)('a text pipeline given a whole DataFrame', () => {
  if (generated.length === 0) it.skip(NO_GENERATED_WILD, () => {});
  for (const { dir, version, cases } of generated) {
    const c = cases.find((x) => x.name === 'tfidf_top_level_frame');
    if (c === undefined) continue;
    const batch = c.batches.main!;
    const file = join(dir, c.files.pickle!);

    it(`${version}: scikit-learn answers one row per column name; flowgate refuses`, async () => {
      const X = tableOf(batch.input);
      const expected = batch.predict!;
      expect('error' in expected).toBe(false);
      // the misreading this refusal avoids: as many answers as columns, not rows
      expect((expected as { shape: number[] }).shape).toEqual([X.columns.length]);
      expect(X.rows).toBeGreaterThan(X.columns.length);
      const model = readSklearnModel(readFileSync(file), 'model.pkl');
      await expect((async () => model.predict!(X))()).rejects.toThrow(/scikit-learn would read the column names as the documents/);
    });

    it(`${version}: over HTTP the refusal is a 400 naming the fix`, async () => {
      const model = mkdtempSync(join(tmpdir(), 'flowgate-sk-text-'));
      dirs.push(model);
      copyFileSync(file, join(model, 'model.pkl'));
      writeFileSync(join(model, 'MLmodel'), 'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: pickle\n');
      const server = await startFlowgate(model);
      try {
        const res = await fetch(`${server.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dataframe_split: { columns: ['text'], data: [['good model'], ['bad model']] } }),
        });
        const body = (await res.json()) as { error_code: string; message: string; stack_trace?: string };
        expect(res.status).toBe(400);
        expect(body.error_code).toBe('BAD_REQUEST');
        expect(`${body.message} ${body.stack_trace ?? ''}`).toMatch(/select the text column with a single name in a ColumnTransformer/);
      } finally {
        await server.close();
      }
    });
  }
});
