/**
 * Replicas agree without a leader: three `flowgate serve` processes on one registry (the
 * project's REST-compatible tracking server, on a copy of the real MLflow 2.17.2
 * registry-sqlite-server fixture: iris-lr v2 @champion, v3 @challenger) take the same
 * steps and reach the same outcome, the alias moves once in the registry, and the rollout
 * state read back through registered-models/get has the shape of MLflow's recorded answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { HAVE_SHARED, MLFLOW_REAL, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startFakeTrackingServer, type FakeTrackingServer } from '../registry/fake-tracking-server.js';
import { relocatedCopy } from '../registry/fixture.js';
import { rolloutView, rolloutYaml, trafficTo, until, type RolloutView } from './helpers.js';

const IRIS_LR_BODY = JSON.stringify({
  dataframe_split: {
    columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.3, 2.5, 4.9, 1.5],
    ],
  },
});

/** Starts `flowgate serve` and resolves with its URL, read from its JSON log. */
function serveProcess(config: string, trackingUri: string, cacheDir: string): Promise<{ url: string; child: ChildProcess; log: string[] }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config, '-p', '0', '--tracking-uri', trackingUri, '--poll-interval', '0.3', '--cache-dir', cacheDir], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const url = /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1];
        if (url !== undefined) resolve({ url, child, log });
      }
    });
    child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    child.on('exit', (code) => reject(new Error(`flowgate exited with ${code}: ${log.join('\n')}`)));
  });
}

describe.skipIf(!HAVE_SHARED)('three replicas on one tracking server', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: FakeTrackingServer;
  const replicas: { url: string; child: ChildProcess; log: string[] }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowgate-replicas-'));
    registry = await startFakeTrackingServer(relocatedCopy('registry-sqlite-server', dir), { writable: true });
    const config = join(dir, 'flowgate.yaml');
    writeFileSync(config, rolloutYaml({ model: 'iris-lr', steps: [0, 30, 100], stepSeconds: 2, pollSeconds: 0.25, maxStepSeconds: 120, gates: '{ min_requests: 3, max_error_rate: 0.05 }' }));
    for (let i = 0; i < 3; i++) replicas.push(await serveProcess(config, registry.url, join(dir, `cache-${i}`)));
    // a replica binds its port before its models load: wait until each is ready
    for (const r of replicas) await until(async () => (await fetch(`${r.url}/ping`)).status === 200, 60_000, `${r.url} to be ready`);
  });
  afterAll(async () => {
    for (const r of replicas) {
      r.child.kill('SIGTERM');
      await new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('exit', resolve)));
    }
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('they step together, promote once, and report the same outcome', async () => {
    const urls = replicas.map((r) => r.url);
    const traffic = trafficTo(urls, '/endpoints/iris-lr/invocations', IRIS_LR_BODY);
    const seen: RolloutView[][] = [];
    try {
      await until(async () => {
        const views = await Promise.all(urls.map((u) => rolloutView(u, 'iris-lr')));
        seen.push(views);
        return views.every((v) => v.phase === 'idle' && v.fromVersion === '3') ? views : null;
      }, 120_000, 'every replica to serve the promoted version');
    } catch (err) {
      throw new Error(`${(err as Error).message}; last views: ${JSON.stringify(seen.at(-1))}`);
    } finally {
      await traffic.stop();
    }

    // the replicas went through every step (one still loading its models may join after step 0), and at no
    // moment were two of them more than one step apart
    expect(new Set(seen.flatMap((views) => views.map((v) => v.step)).filter((s) => s !== null))).toEqual(new Set([0, 1, 2]));
    for (let i = 0; i < 3; i++) expect(seen.some((views) => views[i]!.step === 2)).toBe(true);
    for (const views of seen) {
      const steps = views.map((v) => v.step).filter((s): s is number => s !== null);
      if (steps.length > 1) expect(Math.max(...steps) - Math.min(...steps)).toBeLessThanOrEqual(1);
    }
    expect(traffic.answers.filter((a) => a.status !== 200)).toEqual([]);

    // the alias moved in the registry, set once or more to the same version (idempotent), never elsewhere
    const aliasWrites = registry.requests.filter((q) => q.method === 'POST' && q.url === '/api/2.0/mlflow/registered-models/alias');
    expect(aliasWrites.length).toBeGreaterThanOrEqual(1);
    expect(aliasWrites.map((q) => JSON.parse(q.body))).toEqual(aliasWrites.map(() => ({ name: 'iris-lr', alias: 'champion', version: '3' })));
    const champion = (await (await fetch(`${registry.url}/api/2.0/mlflow/registered-models/alias?name=iris-lr&alias=champion`)).json()) as { model_version: { version: string } };
    expect(champion.model_version.version).toBe('3');

    // registered-models/get: the recorded answer's shape, with flowgate's tags added and the alias moved
    const recorded = JSON.parse(readFileSync(join(MLFLOW_REAL, 'registry-sqlite-server', 'rest', 'registered_models_get.json'), 'utf8')) as {
      response: { json: { registered_model: Record<string, unknown> & { tags: { key: string; value: string }[] } } };
    };
    const got = (await (await fetch(`${registry.url}/api/2.0/mlflow/registered-models/get?name=iris-lr`)).json()) as { registered_model: Record<string, unknown> & { tags: { key: string; value: string }[] } };
    const expected = recorded.response.json.registered_model;
    expect(Object.keys(got.registered_model).sort()).toEqual(Object.keys(expected).sort());
    expect(got.registered_model.latest_versions).toEqual(expected.latest_versions);
    expect(got.registered_model.aliases).toEqual([
      { alias: 'challenger', version: '3' },
      { alias: 'champion', version: '3' },
    ]);
    const tags = Object.fromEntries(got.registered_model.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ task: 'classification', dataset: 'iris' });
    expect(JSON.parse(tags['flowgate.rollout.iris-lr.record']!)).toMatchObject({ from_version: '2', to_version: '3', state: 'succeeded', step: 2 });
    expect(tags['flowgate.rollout.iris-lr.failure']).toBeUndefined();
    // each replica logged its transitions with the figures behind them; one of them promoted
    for (const r of replicas) expect(r.log.some((line) => line.includes('"phase":"running","step":2') && line.includes('"figures":{"requests"'))).toBe(true);
    expect(replicas.filter((r) => r.log.some((line) => line.includes('promoted: iris-lr@champion'))).length).toBeGreaterThanOrEqual(1);
  });
});

if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
