/**
 * `models:/xgb-iris/Production` (an XGBClassifier in MLflow's legacy-binary default format)
 * resolved from each fixture registry (file store, SQLite, and SQLite behind a tracking
 * server), loaded by the xgboost flavor, predicts what MLflow recorded for the URI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flavorFor } from '../../../flavors/index.js';
import { readMLmodel, servingFlavorName } from '../../../src/model/mlmodel.js';
import { resolveModel } from '../../../src/registry/index.js';
import { startFakeTrackingServer } from '../../registry/fake-tracking-server.js';
import { HAVE_FIXTURES, MLFLOW_REAL, options, relocatedCopy, tempDir, type RegistryName } from '../../registry/fixture.js';
import { logger, splitFrame, tensorOf } from '../trees/helpers.js';

const URI = 'models:/xgb-iris/Production';

function recorded(registry: RegistryName): { version: string; input_example_predictions: number[] } {
  const doc = JSON.parse(readFileSync(join(MLFLOW_REAL, registry, 'registry.json'), 'utf8')) as {
    resolution: Record<string, { version: string; input_example_predictions: number[] }>;
  };
  return doc.resolution[URI]!;
}

describe.skipIf(!HAVE_FIXTURES)(`${URI} serves from every fixture registry`, () => {
  const tmp = tempDir('xgb-registry');
  afterAll(() => tmp.cleanup());

  const stores: [RegistryName, (dir: string) => Promise<{ uri: string; close: () => Promise<void> }>][] = [
    ['registry-file', async (dir) => ({ uri: `file:${dir}/mlruns`, close: async () => {} })],
    ['registry-sqlite', async (dir) => ({ uri: `sqlite:///${dir}/mlflow.db`, close: async () => {} })],
    [
      'registry-sqlite-server',
      async (dir) => {
        const server = await startFakeTrackingServer(dir);
        return { uri: server.url, close: () => server.close() };
      },
    ],
  ];

  it.each(stores)('%s', async (registry, open) => {
    const store = await open(relocatedCopy(registry, tmp.dir));
    try {
      const resolved = await resolveModel(URI, options(store.uri, join(tmp.dir, `cache-${registry}`), logger));
      expect(resolved.version).toBe(recorded(registry).version);
      const mlmodel = await readMLmodel(resolved.localPath);
      expect(servingFlavorName(mlmodel)).toBe('xgboost');
      const model = await (await flavorFor('xgboost')).load(resolved.localPath, mlmodel, { logger });
      const example = JSON.parse(readFileSync(join(resolved.localPath, 'serving_input_example.json'), 'utf8')) as {
        dataframe_split: { columns: string[]; data: unknown[][] };
      };
      const out = tensorOf(await model.predict(splitFrame(example.dataframe_split), {}));
      expect(out.dtype).toBe('int64');
      expect(Array.from(out.values as Float64Array)).toEqual(recorded(registry).input_example_predictions);
    } finally {
      await store.close();
    }
  });
});
