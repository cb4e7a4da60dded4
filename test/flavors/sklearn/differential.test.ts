/**
 * Differential tests against the real scikit-learn: models trained, pickled and predicted by
 * test/fixtures-gen/sklearn.py under sklearn 1.2.1 (numpy 1) and 1.9.1 (numpy 2). flowgate must
 * give the same labels and floats within 1e-9 relative, and fail where sklearn failed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSklearnModel } from '../../../flavors/sklearn/index.js';
import type { Estimator } from '../../../flavors/sklearn/estimator.js';
import type { Table } from '../../../flavors/sklearn/table.js';
import { NO_GENERATED, generatedVersions } from '../../pickle/helpers.js';
import { tensorMismatches, type ExpectedArray } from './compare.js';

interface Batch {
  rows: (number | string | null)[][];
  predict?: ExpectedArray | { error: string };
  predict_proba?: ExpectedArray | { error: string };
  predict_log_proba?: ExpectedArray | { error: string };
}

interface Case {
  name: string;
  estimator: string;
  frame: boolean;
  columns: string[] | null;
  /** 1e-9, or float32 precision where numpy itself computes in float32 */
  rtol: number;
  atol: number;
  files: Record<string, string>;
  batches: Record<string, Batch>;
}

function table(c: Case, rows: Batch['rows']): Table {
  const width = rows[0]!.length;
  const columns = Array.from({ length: width }, (_, j) => ({
    dtype: 'float64' as const,
    values: Float64Array.from(rows, (r) => {
      const v = r[j];
      return v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v);
    }),
  }));
  return { rows: rows.length, names: c.frame ? c.columns : null, columns };
}

const METHODS = { predict: 'predict', predict_proba: 'predictProba', predict_log_proba: 'predictLogProba' } as const;

const versions = generatedVersions();

describe.skipIf(versions.length === 0)('sklearn flavor vs scikit-learn (differential)', () => {
  if (versions.length === 0) it.skip(NO_GENERATED, () => {});
  for (const dir of versions) {
    const version = dir.split('/').pop()!;
    const cases = (JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
    for (const c of cases) {
      for (const [format, file] of Object.entries(c.files)) {
        it(`${version} ${c.name} (${format})`, async () => {
          const estimator: Estimator = readSklearnModel(readFileSync(join(dir, file)), file);
          let compared = 0;
          for (const [batchName, batch] of Object.entries(c.batches)) {
            const X = table(c, batch.rows);
            for (const [method, key] of Object.entries(METHODS)) {
              const expected = batch[method as keyof typeof METHODS];
              if (expected === undefined) continue;
              const fn = estimator[key];
              expect(fn, `${c.name} has ${method}`).toBeTypeOf('function');
              const where = `${batchName}.${method}`;
              if ('error' in expected) {
                await expect((async () => fn!.call(estimator, X))(), `${where} fails as sklearn did: ${expected.error}`).rejects.toThrow();
                continue;
              }
              const problems = tensorMismatches(await fn!.call(estimator, X), expected, c.rtol, c.atol);
              expect(problems.slice(0, 5), `${where}: ${problems.length} mismatches`).toEqual([]);
              compared++;
            }
          }
          expect(compared).toBeGreaterThan(0);
        });
      }
    }
  }
});
