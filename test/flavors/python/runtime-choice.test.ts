/**
 * `runtime: python` on one variant of flowgate.yaml runs that variant's model through the
 * Python runtime while another variant serves the same URI natively: both answer, with
 * the same bytes, which is how a user compares the native flavor with MLflow's own code.
 * Needs a Python where `import mlflow` (and scikit-learn) works.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfigText } from '../../../src/endpoints/config-file.js';
import { MLFLOW_REAL } from '../../helpers/fixtures.js';
import { invoke, startGateway, type GatewayUnderTest } from '../../routing/helpers.js';
import { findPython, MLFLOW_PYTHON, NO_MLFLOW_PYTHON } from './helpers.js';

const MODEL = join(MLFLOW_REAL, 'models', 'sk_iris_logreg');
const PYTHON = MLFLOW_PYTHON !== null && existsSync(MODEL) ? findPython('mlflow.sklearn, sklearn') : null;
if (PYTHON === null) console.warn(`${NO_MLFLOW_PYTHON} (or scikit-learn, or ${MODEL}, is missing)`);

describe.skipIf(PYTHON === null)('per-variant runtime', () => {
  let gateway: GatewayUnderTest;
  beforeAll(async () => {
    gateway = await startGateway(
      `
endpoints:
  iris:
    variants:
      - { name: native, model: "${MODEL}", weight: 50 }
      - { name: python, model: "${MODEL}", weight: 50, runtime: python }
`,
      { python: PYTHON! },
    );
  }, 180_000);
  afterAll(async () => gateway?.server.close());

  test('one URI, two runtimes: each variant is served by its own, with the same answer', async () => {
    const variants = gateway.server.gateway.endpoints.defaultEndpoint.variants;
    expect(variants.map((v) => v.model.served.current()?.flavor)).toEqual(['sklearn', 'python']);
    const body = readFileSync(join(MODEL, 'serving_input_example.json'), 'utf8');
    const native = await invoke(gateway.server.url, '/invocations', { 'x-flowgate-variant': 'native' }, body);
    const python = await invoke(gateway.server.url, '/invocations', { 'x-flowgate-variant': 'python' }, body);
    expect([native.status, python.status]).toEqual([200, 200]);
    expect(python.variant).toBe('python');
    expect(python.body).toBe(native.body);
    expect(JSON.parse(python.body).predictions).toHaveLength(JSON.parse(body).dataframe_split.data.length);
  });
});

describe('runtime in flowgate.yaml', () => {
  test('a variant or shadow may force python; anything else is refused with its line', () => {
    const spec = parseConfigText(
      'endpoints:\n  e:\n    variants:\n      - { model: ./m, runtime: python }\n    shadow:\n      - { name: s, model: ./m }\n',
      'flowgate.yaml',
    );
    expect(spec.endpoints[0]!.variants[0]!.runtime).toBe('python');
    expect(spec.endpoints[0]!.shadows[0]!.runtime).toBeUndefined();
    expect(() => parseConfigText('endpoints:\n  e:\n    variants:\n      - { model: ./m, runtime: java }\n', 'flowgate.yaml')).toThrow(
      /flowgate\.yaml:4.*runtime.*must be auto or python/s,
    );
  });
});
