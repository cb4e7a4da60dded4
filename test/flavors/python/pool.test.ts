/**
 * The Python worker pool as a user meets it over HTTP, with a probe model (a custom
 * loader_module flavor on plain Python: numpy + pandas, no mlflow): a worker that dies
 * is replaced and only its request fails (500); one stuck past -t is killed and
 * replaced (504); requests spread over the workers; workers start before a new version
 * is swapped in and stop when it is retired; a missing dependency fails the load with a
 * message naming the Python, the module and the model's requirements; worker output
 * reaches flowgate's log; worker memory is in /metrics.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { serveConfig, type ServeFlags } from '../../../src/config.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { copyExampleRegistry, setAlias, versionDir } from '../../helpers/registry.js';
import { quietLogger } from '../../helpers/server.js';
import {
  capturingLogger,
  invoke,
  NO_PLAIN_PYTHON,
  PLAIN_PYTHON,
  pidsOf,
  tempDir,
  writeMissingDependencyModel,
  writeProbeModel,
} from './helpers.js';
import type { Logger } from 'pino';
import { flavorForModel } from '../../../flavors/index.js';
import { parseMLmodel } from '../../../src/model/mlmodel.js';

if (PLAIN_PYTHON === null) console.warn(NO_PLAIN_PYTHON);

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pids of the loaded workers, as /metrics lists them. */
async function workerPids(s: RunningServer): Promise<number[]> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return [...text.matchAll(/^flowgate_python_worker_resident_memory_bytes\{model="[^"]*",pid="(\d+)"\}/gm)].map((m) => Number(m[1]));
}

describe.skipIf(PLAIN_PYTHON === null)('Python worker pool', () => {
  let server: RunningServer | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function serve(modelUri: string, flags: ServeFlags = {}, logger: Logger = quietLogger, env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
    const config = serveConfig({ port: '0', pollInterval: '0', logLevel: 'silent', python: PLAIN_PYTHON!, ...flags, modelUri }, env);
    server = await startServer(config, env, logger);
    return server;
  }

  function probe(options?: { scale?: number; version?: string }): string {
    const dir = tempDir('flowgate-probe-');
    dirs.push(dir);
    return writeProbeModel(join(dir, 'model'), options);
  }

  test('a worker that crashes is replaced: its request gets a 500, the next one succeeds', async () => {
    const s = await serve(probe());
    const first = await invoke(s.url, [1, 2]);
    expect(first.status).toBe(200);
    expect(first.body.predictions).toEqual([
      { y: 2.0, pid: pidsOf(first.body)[0], version: 'v1' },
      { y: 4.0, pid: pidsOf(first.body)[0], version: 'v1' },
    ]);
    const [crashedPid] = pidsOf(first.body);

    const crash = await invoke(s.url, [-1]);
    expect(crash.status).toBe(500);
    expect(crash.body.error_code).toBe('INTERNAL_ERROR');
    expect(crash.body.message).toMatch(/exited \(exit code 3\) while predicting this request; it is being restarted/);

    const after = await invoke(s.url, [3]);
    expect(after.status).toBe(200);
    const [newPid] = pidsOf(after.body);
    expect(newPid).not.toBe(crashedPid);
    expect(alive(crashedPid!)).toBe(false);
  }, 120_000);

  test('a worker stuck past -t is killed and replaced: 504, then the next request succeeds', async () => {
    const s = await serve(probe(), { timeout: '3' });
    const [stuckPid] = pidsOf((await invoke(s.url, [1])).body);

    const stuck = await invoke(s.url, [-2]);
    expect(stuck.status).toBe(504);
    await waitFor(() => !alive(stuckPid!), 'the stuck worker to be killed');
    // the replacement is in the pool (and in /metrics) once it has loaded the model
    await waitFor(async () => (await workerPids(s)).some((p) => p !== stuckPid), 'the replacement worker');

    const after = await invoke(s.url, [5]);
    expect(after.status).toBe(200);
    expect(pidsOf(after.body)[0]).not.toBe(stuckPid);
  }, 120_000);

  test("the model's own exception is MLflow's 400 and the worker keeps serving", async () => {
    const s = await serve(probe());
    const [pid] = pidsOf((await invoke(s.url, [1])).body);
    const raised = await invoke(s.url, [-3]);
    expect(raised.status).toBe(400);
    expect(raised.body.error_code).toBe('BAD_REQUEST');
    expect(raised.body.message).toMatch(/^Encountered an unexpected error while evaluating the model/);
    expect(raised.body.stack_trace).toBe('ValueError: the probe refuses -3');
    expect(pidsOf((await invoke(s.url, [1])).body)[0]).toBe(pid);
  }, 120_000);

  test('16 concurrent requests spread over 2 workers', async () => {
    const s = await serve(probe(), { pythonWorkers: '2' });
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => invoke(s.url, [i + 1], { delay: 0.2 })));
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    answers.forEach((a, i) => expect((a.body.predictions as { y: number }[])[0]!.y).toBe((i + 1) * 2));
    const pids = new Set(answers.flatMap((a) => pidsOf(a.body)));
    expect(pids.size).toBe(2);
    // each worker took a share: requests were not serialised through one process
    for (const pid of pids) expect(answers.filter((a) => pidsOf(a.body)[0] === pid).length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  test('hot reload under load: the new version starts its workers before the swap, the old ones stop, no request fails', async () => {
    const root = copyExampleRegistry();
    dirs.push(root);
    for (const [version, scale] of [[1, 2], [2, 10]] as const) {
      const dir = versionDir(root, 'iris', version);
      rmSync(dir, { recursive: true, force: true });
      writeProbeModel(dir, { scale, version: `v${version}` });
    }
    const s = await serve('models:/iris@champion', { trackingUri: root, pythonWorkers: '2' });
    const oldPids = new Set(pidsOf((await invoke(s.url, [1])).body));

    const answers: { status: number; version: string }[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        const a = await invoke(s.url, [1]);
        answers.push({ status: a.status, version: a.status === 200 ? (a.body.predictions as { version: string }[])[0]!.version : String(a.body.message) });
      }
    });
    await waitFor(() => answers.length >= 20, '20 answers before the move');
    setAlias(root, 'iris', 'champion', 2);
    await s.follower.poll();
    const afterSwap = answers.length;
    // the old version's workers are stopped once its requests have drained
    await waitFor(() => [...oldPids].every((p) => !alive(p)), 'the old workers to stop');
    await waitFor(() => answers.length >= afterSwap + 20, '20 answers after the swap');
    running = false;
    await Promise.all(clients);

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers[0]!.version).toBe('v1');
    expect(answers.slice(afterSwap + 4).every((a) => a.version === 'v2')).toBe(true);
    const newPids = new Set(pidsOf((await invoke(s.url, [1])).body));
    for (const p of newPids) expect(oldPids.has(p)).toBe(false);
  }, 240_000);

  test('a missing dependency fails the load, naming the Python, the module and the requirements', async () => {
    const dir = tempDir('flowgate-missing-');
    dirs.push(dir);
    const model = writeMissingDependencyModel(join(dir, 'model'));
    const failure = serve(model);
    await expect(failure).rejects.toThrow(/module 'flowgate_missing_dependency_xyz' is missing/);
    await expect(failure).rejects.toThrow(/with \/\S*python\S* \(Python 3\.\d+/);
    await expect(failure).rejects.toThrow(/requirements \(python_env\.yaml \+ requirements\.txt\): numpy, pandas, flowgate-missing-dependency-xyz==1\.0/);
  }, 120_000);

  test('a Python that does not exist is named in the load error', async () => {
    await expect(serve(probe(), { python: '/nonexistent/python3' })).rejects.toThrow(/\/nonexistent\/python3/);
  }, 60_000);

  test("the worker's output reaches flowgate's log with the model's name; worker memory is in /metrics", async () => {
    const { logger, lines } = capturingLogger();
    const s = await serve(probe(), {}, logger);
    const [pid] = pidsOf((await invoke(s.url, [1, 2, 3])).body);
    await waitFor(() => lines.some((l) => l.msg === 'probe predicted 3 rows'), 'the worker output in the log', 10_000);
    const line = lines.find((l) => l.msg === 'probe predicted 3 rows')!;
    expect(line).toMatchObject({ model: 'model', runtime: 'python', python_worker: pid, stream: 'stdout' });

    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const rss = new RegExp(`^flowgate_python_worker_resident_memory_bytes\\{model="model",pid="${pid}"\\} (\\d+)`, 'm').exec(metrics);
    expect(rss, metrics.slice(0, 200)).not.toBeNull();
    expect(Number(rss![1])).toBeGreaterThan(10 * 1024 * 1024);
  }, 120_000);
});

describe('which runtime serves a model', () => {
  const mlmodel = (loader: string) => parseMLmodel(`flavors:\n  python_function:\n    loader_module: ${loader}\n`);

  test('a native flavor first; the Python runtime for any other pyfunc; --runtime python for all', async () => {
    expect((await flavorForModel(mlmodel('mlflow.sklearn'))).name).toBe('sklearn');
    expect((await flavorForModel(mlmodel('mlflow.sklearn'), 'python')).name).toBe('python');
    expect((await flavorForModel(mlmodel('mlflow.pytorch'))).name).toBe('python');
    expect((await flavorForModel(mlmodel('my_company.flavor'))).name).toBe('python');
    expect((await flavorForModel(mlmodel('mlflow.pyfunc.model'))).name).toBe('python');
  });

  test('a model without python_function is refused as MLflow refuses it', async () => {
    await expect(flavorForModel(parseMLmodel('flavors:\n  onnx: {}\n'))).rejects.toThrow(/does not have the "python_function" flavor/);
  });
});
