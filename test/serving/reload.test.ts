/**
 * Zero-downtime reload: when a stage or alias moves, the next poll loads, warms up and
 * swaps the new version while requests keep flowing; a broken version or an unreachable
 * registry leaves the old version serving.
 */
import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, MLFLOW_REAL } from '../helpers/fixtures.js';
import { copyExampleRegistry, setAlias, setStage, versionDir } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const BODY = JSON.stringify({ inputs: [[5.9, 3.0, 5.1, 1.8]] });

async function predictVersion(server: RunningServer): Promise<{ status: number; version: string | null }> {
  const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY });
  await res.arrayBuffer();
  return { status: res.status, version: res.headers.get('x-flowgate-version') };
}

/** Sends requests back to back until stopped; every answer is recorded. */
function steadyClient(server: RunningServer) {
  const answers: { status: number; version: string | null }[] = [];
  let running = true;
  const done = (async () => {
    const workers = Array.from({ length: 4 }, async () => {
      while (running && answers.length < 100_000) answers.push(await predictVersion(server));
    });
    await Promise.all(workers);
  })();
  return {
    answers,
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * Moves the registry while 4 clients send requests back to back, then polls: no request
 * fails, and every request that starts after the poll returned is served by `to`.
 */
async function expectSwapUnderLoad(server: RunningServer, move: () => unknown, from: string, to: string): Promise<void> {
  const client = steadyClient(server);
  while (client.answers.length < 50) await new Promise((r) => setTimeout(r, 5));
  move();
  await server.follower.poll();
  const afterSwap = client.answers.length;
  while (client.answers.length < afterSwap + 50) await new Promise((r) => setTimeout(r, 5));
  await client.stop();
  expect(client.answers.filter((a) => a.status !== 200)).toEqual([]);
  expect(client.answers[0]!.version).toBe(from);
  // the 4 requests in flight when the poll returned may finish on the old version
  expect(client.answers.slice(afterSwap + 4).every((a) => a.version === to)).toBe(true);
}

async function metric(server: RunningServer, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('reload without downtime (file store)', () => {
  let server: RunningServer | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    server = undefined;
    root = undefined;
  });

  test.each([
    ['an alias moves', 'models:/iris@champion', (r: string) => setAlias(r, 'iris', 'champion', 2)],
    ['a stage moves', 'models:/iris/Production', (r: string) => (setStage(r, 'iris', 2, 'Production'), setStage(r, 'iris', 1, 'Archived'))],
  ])('%s: the next poll swaps in the new version with 0 failed requests', async (_name, uri, move) => {
    root = copyExampleRegistry();
    server = await startFlowgate(uri, { trackingUri: root });
    await expectSwapUnderLoad(server, () => move(root!), '1', '2');
    expect(await metric(server, /flowgate_model_served\{model="iris",version="2",flavor="onnx"\} (\d+)/)).toBe(1);
    expect(await metric(server, /flowgate_model_served\{model="iris",version="1"[^}]*\} (\d+)/)).toBe(0);
    expect(await metric(server, /flowgate_model_reloads_total\{model="iris",outcome="success"\} (\d+)/)).toBe(1);
  });

  test('the poll timer picks a move up by itself', async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris@champion', { trackingUri: root, pollInterval: '0.2' });
    setAlias(root, 'iris', 'champion', 2);
    let version: string | null = '1';
    for (let i = 0; i < 200 && version !== '2'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      version = (await predictVersion(server)).version;
    }
    expect(version).toBe('2');
  });

  test('a broken new version is refused; the old one keeps serving and the failure is counted', async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris@champion', { trackingUri: root });
    writeFileSync(join(versionDir(root, 'iris', 2), 'model.onnx'), 'not an onnx model');
    setAlias(root, 'iris', 'champion', 2);
    await server.follower.poll();
    expect(await predictVersion(server)).toEqual({ status: 200, version: '1' });
    expect(await metric(server, /flowgate_model_reloads_total\{model="iris",outcome="failure"\} (\d+)/)).toBe(1);
  });

  test('an unreachable registry leaves the loaded version serving', async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris@champion', { trackingUri: root });
    renameSync(join(root, 'models'), join(root, 'models-gone'));
    await server.follower.poll();
    expect(await predictVersion(server)).toEqual({ status: 200, version: '1' });
    expect(await metric(server, /flowgate_registry_poll_errors_total\{model="iris"\} (\d+)/)).toBe(1);
  });
});

describe.skipIf(!HAVE_SHARED)('reload without downtime (SQLite store)', () => {
  let server: RunningServer | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    server = undefined;
    root = undefined;
  });

  /** The fixture's mlflow.db, with iris-lr v2 and v3 pointing at the example's two ONNX iris models. */
  function sqliteRegistry(): { root: string; db: Database.Database } {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-sqlite-'));
    cpSync(join(MLFLOW_REAL, 'registry-sqlite', 'mlflow.db'), join(dir, 'mlflow.db'));
    const examples = copyExampleRegistry(join(dir, 'examples'));
    const db = new Database(join(dir, 'mlflow.db'));
    const update = db.prepare('UPDATE model_versions SET source = ?, storage_location = ? WHERE name = ? AND version = ?');
    for (const v of [2, 3]) {
      const model = versionDir(examples, 'iris', v - 1);
      update.run(model, model, 'iris-lr', v);
    }
    return { root: dir, db };
  }

  test.each([
    ['an alias moves', 'models:/iris-lr@champion', (db: Database.Database) =>
      db.prepare("UPDATE registered_model_aliases SET version = 3 WHERE name = 'iris-lr' AND alias = 'champion'").run()],
    ['a stage moves', 'models:/iris-lr/Production', (db: Database.Database) => {
      db.prepare("UPDATE model_versions SET current_stage = 'Production' WHERE name = 'iris-lr' AND version = 3").run();
      db.prepare("UPDATE model_versions SET current_stage = 'Archived' WHERE name = 'iris-lr' AND version = 2").run();
    }],
  ])('%s: the next poll swaps in the new version with 0 failed requests', async (_name, uri, move) => {
    const registry = sqliteRegistry();
    root = registry.root;
    server = await startFlowgate(uri, { trackingUri: `sqlite:///${join(root, 'mlflow.db')}` });
    await expectSwapUnderLoad(server, () => (move(registry.db), registry.db.close()), '2', '3');
  });
});
