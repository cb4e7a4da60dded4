/**
 * flowgate answers every recorded real-MLflow exchange with the ONNX fixtures as MLflow did.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, invocationExchanges, MLFLOW_REAL, MLFLOW_REAL_TF, modelNames, servingExchanges } from '../helpers/fixtures.js';
import { expectSameAnswer } from '../helpers/replay.js';
import { startFlowgate } from '../helpers/server.js';

const cases = HAVE_SHARED
  ? [
      ...modelNames(MLFLOW_REAL, 'onnx_').map((name) => ({ root: MLFLOW_REAL, name })),
      ...modelNames(MLFLOW_REAL_TF, 'onnx_').map((name) => ({ root: MLFLOW_REAL_TF, name })),
    ]
  : [];

describe.skipIf(!HAVE_SHARED)('ONNX models answer as real MLflow did', () => {
  test('the fixtures hold ONNX models, including PyTorch exports with external data', () => {
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining(['onnx_iris_softmax', 'onnx_diabetes_linear', 'onnx_torch_mlp', 'onnx_torch_cnn']));
  });

  describe.each(cases)('$name', ({ root, name }) => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startFlowgate(join(root, 'models', name));
    });
    afterAll(() => server?.close());

    test.each(invocationExchanges(root, name).map((e) => [e.case, e] as const))('invocations: %s', async (_case, exchange) => {
      await expectSameAnswer(server.url, exchange);
    });
  });

  describe('serving/onnx_iris_softmax: tensor signature, every input format', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startFlowgate(join(MLFLOW_REAL, 'models', 'onnx_iris_softmax'));
    });
    afterAll(() => server?.close());

    test.each(HAVE_SHARED ? servingExchanges('onnx_iris_softmax').map((e) => [e.case, e] as const) : [])('%s', async (_case, exchange) => {
      await expectSameAnswer(server.url, exchange);
    });
  });
});
