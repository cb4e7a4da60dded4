/**
 * The rollout scenario against a real MLflow 2.17.2 tracking server (../shared/tools/real-mlflow),
 * on a copy of the registry it recorded (iris-lr v2 @champion, v3 @challenger): flowgate's
 * REST writes are accepted by MLflow itself, and MLflow's own client then reads the moved
 * alias and the rollout tags. Skips with a message where `import mlflow` fails (CI).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MLFLOW_REAL, REPO } from '../helpers/fixtures.js';
import { startGateway, type GatewayUnderTest } from '../routing/helpers.js';
import { rolloutView, rolloutYaml, trafficTo, until } from './helpers.js';

const TOOLS = join(REPO, '..', 'shared', 'tools', 'real-mlflow');
const SA_ROOT = process.env.SA_ROOT ?? '/tmp/real-mlflow';
const PY_ENV = { ...process.env, SA_ROOT, PYTHONPATH: `${SA_ROOT}/src:${SA_ROOT}/site:${SA_ROOT}/extras`, GIT_PYTHON_REFRESH: 'quiet' };
const probe = existsSync(TOOLS) ? spawnSync('/usr/bin/python3', ['-c', 'import mlflow'], { env: PY_ENV, encoding: 'utf8' }) : null;
const HAVE_MLFLOW = probe !== null && probe.status === 0 && existsSync(join(MLFLOW_REAL, 'registry-sqlite-server'));
if (!HAVE_MLFLOW) {
  console.warn(`real MLflow not available (${probe === null ? `${TOOLS} absent` : `import mlflow failed: ${(probe.stderr ?? '').trim().split('\n').pop()}`}): skipping the real tracking server rollout test`);
}

const IRIS_LR_BODY = JSON.stringify({
  dataframe_split: { columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'], data: [[5.1, 3.5, 1.4, 0.2]] },
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!HAVE_MLFLOW)('a rollout on a real MLflow tracking server', { timeout: 180_000 }, () => {
  let root: string;
  let trackingUri: string;
  let gw: GatewayUnderTest | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flowgate-real-mlflow-'));
    cpSync(join(MLFLOW_REAL, 'registry-sqlite-server', 'mlflow.db'), join(root, 'mlflow.db'));
    cpSync(join(MLFLOW_REAL, 'registry-sqlite-server', 'artifacts'), join(root, 'artifacts'), { recursive: true });
    const port = await freePort();
    const started = spawnSync('bash', [join(TOOLS, 'tracking_server.sh'), 'start', root, String(port), '1'], { env: PY_ENV, encoding: 'utf8' });
    if (started.status !== 0) throw new Error(`mlflow server did not start: ${started.stdout}${started.stderr}`);
    trackingUri = `http://127.0.0.1:${port}`;
  }, 120_000);
  afterAll(async () => {
    await gw?.server.close();
    if (root !== undefined && existsSync(join(root, 'server.pgid'))) spawnSync('bash', [join(TOOLS, 'tracking_server.sh'), 'stop', root], { env: PY_ENV });
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  test('promoted through every step; MLflow\'s client sees the alias moved and the rollout tags', async () => {
    gw = await startGateway(rolloutYaml({ model: 'iris-lr', steps: [0, 50, 100], stepSeconds: 1.5, pollSeconds: 0.3, gates: '{ min_requests: 3, max_error_rate: 0.05 }' }), {
      trackingUri,
      pollInterval: '0.5',
    });
    const url = gw.server.url;
    const traffic = trafficTo([url], '/endpoints/iris-lr/invocations', IRIS_LR_BODY);
    try {
      await until(async () => {
        const v = await rolloutView(url, 'iris-lr');
        return v.phase === 'idle' && v.fromVersion === '3' ? v : v.phase === 'failed' ? Promise.reject(new Error(v.reason ?? 'failed')) : null;
      }, 120_000, 'the champion to serve the promoted version');
    } finally {
      await traffic.stop();
    }
    expect(traffic.answers.filter((a) => a.status !== 200)).toEqual([]);
    const read = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import json, sys; from mlflow import MlflowClient; m = MlflowClient(sys.argv[1]).get_registered_model("iris-lr"); print(json.dumps({"aliases": m.aliases, "tags": m.tags}))',
        trackingUri,
      ],
      { env: PY_ENV, encoding: 'utf8' },
    );
    expect(read.status, read.stderr).toBe(0);
    const model = JSON.parse(read.stdout.trim().split('\n').pop()!) as { aliases: Record<string, string>; tags: Record<string, string> };
    expect(model.aliases).toEqual({ champion: '3', challenger: '3' });
    expect(JSON.parse(model.tags['flowgate.rollout.iris-lr.record']!)).toMatchObject({ from_version: '2', to_version: '3', state: 'succeeded', step: 2 });
    expect(model.tags['flowgate.rollout.iris-lr.summary']).toMatch(/^succeeded: version 3 is now @champion/);
    expect(model.tags).toMatchObject({ task: 'classification', dataset: 'iris' });
  });
});
