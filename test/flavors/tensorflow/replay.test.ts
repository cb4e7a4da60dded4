/**
 * A flowgate server answers every recorded real-MLflow exchange with the TensorFlow and
 * Keras fixtures as MLflow did: Keras 3 `.keras` files on tfjs-layers (always), the
 * SavedModels on tfjs-node (when its addon is built).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import { HAVE_SHARED, invocationExchanges, MLFLOW_REAL_TF } from '../../helpers/fixtures.js';
import { expectSameAnswer } from '../../helpers/replay.js';
import { startFlowgate } from '../../helpers/server.js';
import { expected, HAVE_TFJS_NODE, tensorflowModels } from './helpers.js';

const models = HAVE_SHARED ? tensorflowModels() : [];

describe.skipIf(!HAVE_SHARED)('TensorFlow/Keras models answer as real MLflow did', () => {
  test('the fixtures hold Keras files and SavedModels of both flavors', () => {
    expect(models).toEqual(['keras3_iris_mlp', 'keras3_iris_mlp_exported', 'tf_keras_diabetes_regressor', 'tf_keras_iris_mlp', 'tf_module_iris_linear']);
  });

  const cases = models.map((name) => ({ name, savedModel: expected(name).saved_model !== null }));
  describe.each(cases)('$name', ({ name, savedModel }) => {
    const run = !savedModel || HAVE_TFJS_NODE;
    let server: RunningServer;
    beforeAll(async () => {
      if (run) server = await startFlowgate(join(MLFLOW_REAL_TF, 'models', name));
    }, 60_000);
    afterAll(() => server?.close());

    test.skipIf(!run).each(invocationExchanges(MLFLOW_REAL_TF, name).map((e) => [e.case, e] as const))('invocations: %s', async (_case, exchange) => {
      await expectSameAnswer(server.url, exchange, 1e-5);
    });
  });
});
