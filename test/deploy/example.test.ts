/**
 * The example registry in examples/mlruns: laid out as MLflow writes it (compared with the registry that
 * real MLflow wrote in ../shared), reproduced byte for byte by examples/generate.sh, and served by
 * `npm start`'s command.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repo = join(import.meta.dirname, '..', '..');
const mlruns = join(repo, 'examples', 'mlruns');
const shared = join(repo, '..', 'shared', 'fixtures', 'mlflow-real');
const hasShared = existsSync(join(shared, 'registry-file', 'mlruns'));
if (!hasShared) console.warn('test/deploy/example: ../shared is absent, skipping the comparison with real MLflow files');

/* eslint-disable @typescript-eslint/no-explicit-any -- meta.yaml and MLmodel are untyped YAML */
const yamlAt = (path: string): any => parseYaml(readFileSync(path, 'utf8'));
const keys = (path: string): string[] => Object.keys(yamlAt(path)).sort();
const experimentDirs = (root: string) => readdirSync(root).filter((d) => /^\d+$/.test(d) && d !== '0');
const runDirs = (root: string, experiment: string) =>
  readdirSync(join(root, experiment)).filter((d) => statSync(join(root, experiment, d)).isDirectory());

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const version = (n: number): any => yamlAt(join(mlruns, 'models', 'iris', `version-${n}`, 'meta.yaml'));

describe('example registry layout', () => {
  it('registers iris v1 in Production as @champion and v2 in Staging as @challenger', () => {
    expect([version(1).current_stage, version(2).current_stage]).toEqual(['Production', 'Staging']);
    expect(readFileSync(join(mlruns, 'models', 'iris', 'aliases', 'champion'), 'utf8')).toBe('1');
    expect(readFileSync(join(mlruns, 'models', 'iris', 'aliases', 'challenger'), 'utf8')).toBe('2');
    expect(yamlAt(join(mlruns, 'models', 'iris', 'meta.yaml')).aliases).toEqual({ champion: '1', challenger: '2' });
  });

  it("points each version at its run's logged model, relative to the repository root", () => {
    for (const n of [1, 2]) {
      const meta = version(n);
      expect(meta.storage_location).toBe(meta.source);
      expect(meta.source).toMatch(/^examples\/mlruns\/\d+\/[0-9a-f]{32}\/artifacts\/model$/);
      const mlmodel = yamlAt(join(repo, meta.source, 'MLmodel'));
      expect(mlmodel.run_id).toBe(meta.run_id);
      const run = yamlAt(join(repo, meta.source, '..', '..', 'meta.yaml'));
      expect(run.artifact_uri).toBe(meta.source.replace(/\/model$/, ''));
    }
  });

  it('holds two different models', () => {
    const onnx = [1, 2].map((n) => readFileSync(join(repo, version(n).source, 'model.onnx')));
    expect(onnx[0]!.equals(onnx[1]!)).toBe(false);
  });
});

describe.skipIf(!hasShared)('example registry against the file store real MLflow wrote', () => {
  const real = join(shared, 'registry-file', 'mlruns');
  // collected even when skipped: nothing may read ../shared here without it
  const realExperiment = hasShared ? experimentDirs(real)[0]! : '';
  const realRun = hasShared ? join(real, realExperiment, runDirs(real, realExperiment)[0]!) : '';
  const experiment = experimentDirs(mlruns)[0]!;
  const runs = runDirs(mlruns, experiment).map((r) => join(mlruns, experiment, r));
  const realOnnx = join(shared, 'models', 'onnx_iris_softmax');

  it('has the same experiment, run, registered model and version meta.yaml keys', () => {
    expect(experimentDirs(mlruns)).toHaveLength(1);
    expect(keys(join(mlruns, '0', 'meta.yaml'))).toEqual(keys(join(real, '0', 'meta.yaml')));
    expect(keys(join(mlruns, experiment, 'meta.yaml'))).toEqual(keys(join(real, realExperiment, 'meta.yaml')));
    expect(keys(join(mlruns, 'models', 'iris', 'meta.yaml'))).toEqual(keys(join(real, 'models', 'iris-lr', 'meta.yaml')));
    expect(keys(join(mlruns, 'models', 'iris', 'version-1', 'meta.yaml'))).toEqual(
      keys(join(real, 'models', 'iris-lr', 'version-1', 'meta.yaml')),
    );
    for (const run of runs) {
      expect(keys(join(run, 'meta.yaml'))).toEqual(keys(join(realRun, 'meta.yaml')));
      expect(readdirSync(run).sort()).toEqual(readdirSync(realRun).sort());
      expect(readdirSync(join(run, 'tags')).filter((t) => t.startsWith('mlflow.')).sort()).toEqual(
        readdirSync(join(realRun, 'tags')).filter((t) => t.startsWith('mlflow.')).sort(),
      );
    }
  });

  it('logs each model with the files, flavors and signature of mlflow.onnx', () => {
    const realFiles = listFiles(realOnnx);
    const realMLmodel = yamlAt(join(realOnnx, 'MLmodel'));
    for (const run of runs) {
      const model = join(run, 'artifacts', 'model');
      expect(listFiles(model)).toEqual(realFiles);
      const mlmodel = yamlAt(join(model, 'MLmodel'));
      // A logged model's MLmodel has the keys of the logged models in the real registry.
      expect(Object.keys(mlmodel).sort()).toEqual(keys(join(realRun, 'artifacts', 'model', 'MLmodel')));
      expect(mlmodel.flavors).toEqual(realMLmodel.flavors);
      expect(mlmodel.signature).toEqual(realMLmodel.signature);
      expect(mlmodel.saved_input_example_info).toEqual(realMLmodel.saved_input_example_info);
      expect(mlmodel.artifact_path).toBe('model');
      const measured = ['model.onnx', 'input_example.json', 'serving_input_example.json'];
      expect(mlmodel.model_size_bytes).toBe(measured.reduce((sum, f) => sum + statSync(join(model, f)).size, 0));
      for (const file of ['conda.yaml', 'python_env.yaml', 'requirements.txt']) {
        expect(readFileSync(join(model, file), 'utf8'), file).toBe(readFileSync(join(realOnnx, file), 'utf8'));
      }
      const history = JSON.parse(readFileSync(join(run, 'tags', 'mlflow.log-model.history'), 'utf8'));
      const realHistory = JSON.parse(readFileSync(join(realRun, 'tags', 'mlflow.log-model.history'), 'utf8'));
      expect(Object.keys(history[0])).toEqual(Object.keys(realHistory[0]));
      expect(history[0].model_uuid).toBe(mlmodel.model_uuid);
    }
  });
});

const python = '/usr/bin/python3';
const canGenerate =
  existsSync(python) && spawnSync(python, ['-c', 'import sklearn, onnx, numpy, yaml'], { stdio: 'ignore' }).status === 0;
if (!canGenerate) console.warn('test/deploy/example: /usr/bin/python3 lacks scikit-learn/onnx, skipping the regeneration check');

describe.skipIf(!canGenerate)('examples/generate.sh', () => {
  it('reproduces the committed registry byte for byte', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'flowgate-example-')), 'mlruns');
    execFileSync('bash', [join(repo, 'examples', 'generate.sh'), '--out', out], { stdio: 'pipe' });
    const files = listFiles(out);
    expect(files).toEqual(listFiles(mlruns));
    for (const file of files) {
      expect(readFileSync(join(out, file)).equals(readFileSync(join(mlruns, file))), file).toBe(true);
    }
  });
});

const entry = join(repo, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) console.warn('test/deploy/example: dist/ is not built (npm run build), skipping the serving tests');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!existsSync(entry))('npm start (the example served)', () => {
  const children: ChildProcess[] = [];
  let output = '';
  afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

  /** `npm start`'s command line with `extra` flags, run from the repository root; resolves to its URL. */
  async function start(extra: string[]): Promise<string> {
    const script: string = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).scripts.start;
    const [node, ...args] = script.split(/\s+/);
    expect(node).toBe('node');
    const port = await freePort();
    const child = spawn(process.execPath, [...args, '-p', String(port), '--poll-interval', '0', ...extra], { cwd: repo });
    children.push(child);
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`flowgate exited: ${output}`);
      if (await fetch(`${url}/ping`).then((r) => r.ok, () => false)) return url;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`flowgate did not answer /ping: ${output}`);
  }

  async function predict(url: string) {
    const body = readFileSync(join(repo, version(1).source, 'serving_input_example.json'), 'utf8');
    const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(200);
    return { version: res.headers.get('x-flowgate-version'), predictions: ((await res.json()) as any).predictions };
  }

  it('serves iris v1 (Production) on its own input example, and v2 (Staging) differently', async () => {
    const production = await predict(await start([]));
    expect(production.version).toBe('1');
    expect(production.predictions.label).toEqual([0, 1, 2, 0, 1]);
    for (const row of production.predictions.probabilities) {
      expect(row.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const staging = await predict(await start(['-m', 'models:/iris/Staging']));
    expect(staging.version).toBe('2');
    expect(staging.predictions.probabilities[0][0]).toBeLessThan(production.predictions.probabilities[0][0]);
  });

  it('finds the artifacts from the repository root without relocating them', () => {
    expect(output).toContain('serving iris version 1');
    expect(output).not.toMatch(/"level":[4-6]0/); // pino: warn, error, fatal
  });
});
