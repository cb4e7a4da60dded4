/**
 * Every real-MLflow fixture model of a non-ONNX flavor, served by flowgate, answers its
 * recorded exchanges as MLflow did; and the recorded `serving/` sessions — every input
 * format and error case — replay against models served by registry URI.
 * (ONNX has its own replay file; a flavor flowgate does not serve is skipped by name, and
 * TensorFlow SavedModels are skipped where the optional tfjs-node addon is not built.)
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { supportedFlavors } from '../../flavors/index.js';
import { readMLmodel, servingFlavorName } from '../../src/model/mlmodel.js';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, invocationExchanges, MLFLOW_REAL, MLFLOW_REAL_TF, modelNames, needsTfjsNode, servingExchanges, type Exchange } from '../helpers/fixtures.js';
import { expectSameAnswer, send } from '../helpers/replay.js';
import { startFlowgate } from '../helpers/server.js';
import { HAVE_TFJS_NODE } from '../flavors/tensorflow/helpers.js';
import { expect } from 'vitest';

const supported = new Set(supportedFlavors());

async function flavorOf(dir: string): Promise<string> {
  return servingFlavorName(await readMLmodel(dir));
}

const models = HAVE_SHARED
  ? [MLFLOW_REAL, MLFLOW_REAL_TF].flatMap((root) =>
      modelNames(root, '')
        .filter((n) => !n.startsWith('onnx_'))
        .filter((n) => HAVE_TFJS_NODE || !needsTfjsNode(root, n))
        .map((name) => ({ root, name, dir: join(root, 'models', name) })),
    )
  : [];

/** GET routes differ on purpose (/version is flowgate's version): compare status, and /ping's body. */
async function expectSameRoute(url: string, exchange: Exchange): Promise<void> {
  if (exchange.request.method !== 'GET') return expectSameAnswer(url, exchange);
  const res = await send(url, exchange.request);
  expect(res.status).toBe(exchange.response.status);
  if (exchange.request.path === '/ping' || exchange.request.path === '/health') expect(await res.text()).toBe('\n');
}

describe.skipIf(!HAVE_SHARED)('real-MLflow fixture models over HTTP', () => {
  describe.each(models)('$name', ({ root, name, dir }) => {
    let server: RunningServer | undefined;
    let skipReason: string | null = null;
    beforeAll(async () => {
      const flavor = await flavorOf(dir);
      if (!supported.has(flavor)) {
        skipReason = `flavor ${flavor} is not served by flowgate yet`;
        console.warn(`${name}: skipped: ${skipReason}`);
        return;
      }
      server = await startFlowgate(dir);
    });
    afterAll(() => server?.close());

    test.each(invocationExchanges(root, name).map((e) => [e.case, e] as const))('%s', async (_case, exchange) => {
      if (server === undefined) return;
      await expectSameAnswer(server.url, exchange, 1e-6);
    });
  });
});

/** The `serving/` sessions: directory → the model URI MLflow served there, resolved here from a relocated registry. */
const SESSIONS: { dir: string; uri: string; registry: 'file' | 'sqlite' | null }[] = [
  { dir: 'iris-lr', uri: 'models:/iris-lr/Production', registry: 'file' },
  { dir: 'iris-lr-filestore-champion', uri: 'models:/iris-lr@champion', registry: 'file' },
  { dir: 'iris-lr-sqlite-staging', uri: 'models:/iris-lr/Staging', registry: 'sqlite' },
  { dir: 'sk_mixed_coltransformer', uri: join(MLFLOW_REAL, 'models', 'sk_mixed_coltransformer'), registry: null },
  { dir: 'sk_iris_logreg_proba', uri: join(MLFLOW_REAL, 'models', 'sk_iris_logreg_proba'), registry: null },
  { dir: 'sk_iris_rf', uri: join(MLFLOW_REAL, 'models', 'sk_iris_rf'), registry: null },
];

describe.skipIf(!HAVE_SHARED || !supported.has('sklearn'))('recorded serving sessions', () => {
  describe.each(SESSIONS)('$dir ($uri)', ({ dir, uri, registry }) => {
    let server: RunningServer;
    let copy: string | undefined;
    beforeAll(async () => {
      let trackingUri: string | undefined;
      if (registry !== null) {
        copy = mkdtempSync(join(tmpdir(), 'flowgate-session-'));
        cpSync(join(MLFLOW_REAL, registry === 'file' ? 'registry-file' : 'registry-sqlite'), copy, { recursive: true });
        trackingUri = registry === 'file' ? join(copy, 'mlruns') : `sqlite:///${join(copy, 'mlflow.db')}`;
      }
      server = await startFlowgate(uri, trackingUri ? { trackingUri } : {});
    });
    afterAll(async () => {
      await server?.close();
      if (copy && existsSync(copy)) rmSync(copy, { recursive: true, force: true });
    });

    test.each(HAVE_SHARED ? servingExchanges(dir).map((e) => [e.case, e] as const) : [])('%s', async (name, exchange) => {
      if (name === 'no_content_type') {
        // MLflow crashes with an HTML 500 here; flowgate answers a clean 415.
        const res = await send(server.url, exchange.request);
        expect(res.status).toBe(415);
        return;
      }
      await expectSameRoute(server.url, exchange);
    });
  });
});
