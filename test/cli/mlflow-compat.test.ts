/**
 * MLflow's command line and URIs as launch scripts and users write them: `mlflow models
 * serve` flags, malformed models:/ URIs (MLflow's own message, never a tracking server
 * round trip), `validate --resolve` checking flavors from MLmodel alone, and `inspect`
 * reading MLmodel and the input example without downloading the model.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPerTest, runCli } from '../helpers/cli.js';
import { HAVE_SHARED, MLFLOW_REAL } from '../helpers/fixtures.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFakeTrackingServer, type FakeTrackingServer } from '../registry/fake-tracking-server.js';

const IMPROPER = /Not a proper models:\/ URI: (\S+)\. Models URIs must be of the form 'models:\/model_name\/suffix' or 'models:\/model_name@alias'/;

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

describe('flowgate serve takes the flags of `mlflow models serve`', () => {
  const cli = cliPerTest();

  test('--env-manager local, --no-conda and --install-mlflow: the model is served', async () => {
    const url = await cli.serve(['-m', 'models:/iris/1', '--tracking-uri', cli.registry(), '--env-manager', 'local', '--no-conda', '--install-mlflow']);
    const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}' });
    expect(res.status).toBe(200);
  });

  test.each([
    [['--enable-mlserver'], /^flowgate serve: --enable-mlserver: flowgate does not start MLServer; it serves the Open Inference Protocol \(V2\) itself, at \/v2\/models\/<name>\/infer/],
    [['--env-manager', 'conda'], /--env-manager conda: flowgate does not create conda environments/],
    [['--env-manager', 'pipenv'], /^flowgate serve: Invalid value for `env_manager`: pipenv\. Must be one of \['local', 'conda', 'virtualenv'\]$/m],
  ])('%j: a clear error, exit 2, before anything is loaded', async (flags, message) => {
    const { code, stdout, stderr } = await runCli(['serve', '-m', 'models:/never/1', '--tracking-uri', '/nonexistent', '-p', '0', ...flags]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  test('--no-conda wins over --env-manager, as in MLflow', async () => {
    const { code, stderr } = await runCli(['serve', '-m', 'models:/iris', '-p', '0', '--env-manager', 'conda', '--no-conda']);
    expect(code).toBe(1); // past the flags: the URI is what fails
    expect(stderr).toMatch(IMPROPER);
  });

  test('--help lists them', async () => {
    const { stdout } = await runCli(['serve', '--help']);
    for (const flag of ['--env-manager', '--no-conda', '--install-mlflow', '--enable-mlserver']) expect(stdout).toContain(flag);
  });
});

describe('malformed models:/ URIs', () => {
  let server: http.Server;
  let requests = 0;
  let trackingUri: string;
  beforeAll(async () => {
    // a tracking server that answers 404 to everything, as MLflow 2 does for the logged-model endpoints
    server = http.createServer((req, res) => {
      requests++;
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error_code": "ENDPOINT_NOT_FOUND", "message": "not found"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    trackingUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test.each(['models:/iris', 'models:iris/1', 'models:/iris/1/2', 'models:/iris@', 'models:/'])(
    '%s: MLflow\'s "Not a proper models:/ URI" from serve, predict and inspect, without asking the server',
    async (uri) => {
      const before = requests;
      const serve = await runCli(['serve', '-m', uri, '--tracking-uri', trackingUri, '-p', '0']);
      const predict = await runCli(['predict', '-m', uri, '--tracking-uri', trackingUri, '-i', '-'], { input: '{"inputs": [[1, 2, 3, 4]]}' });
      const inspect = await runCli(['inspect', uri, '--tracking-uri', trackingUri]);
      for (const run of [serve, predict, inspect]) {
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(IMPROPER);
        expect(run.stderr).not.toMatch(/INTERNAL_ERROR|404|ENDPOINT_NOT_FOUND/);
      }
      expect(inspect.stderr).toMatch(/^flowgate inspect: INVALID_PARAMETER_VALUE: Not a proper models:\/ URI/);
      expect(requests - before).toBe(0);
    },
  );

  test('a bare name says what to write instead', async () => {
    const { stderr } = await runCli(['inspect', 'models:/iris', '--tracking-uri', trackingUri]);
    expect(stderr).toContain('use models:/iris/<version>, models:/iris/latest or models:/iris@<alias>');
  });
});

function writeConfig(dir: string, models: string[]): string {
  const file = join(dir, 'flowgate.yaml');
  writeFileSync(file, `endpoints:\n${models.map((m, i) => `  e${i}:\n    variants: [ { model: "${m}" } ]\n`).join('')}default_endpoint: e0\n`);
  return file;
}

describe('flowgate validate --resolve', () => {
  let root: string;
  let dir: string;
  beforeAll(() => {
    root = copyExampleRegistry();
    dir = tempDir('flowgate-validate-');
    // a model whose flavor flowgate has no loader for (a custom pyfunc model's MLmodel)
    const model = join(dir, 'custom-pyfunc');
    cpSync(onnxModelDir(root), model, { recursive: true });
    const text = readFileSync(join(model, 'MLmodel'), 'utf8').replace(/loader_module: mlflow\.onnx/, 'loader_module: mlflow.pyfunc.model');
    writeFileSync(join(model, 'MLmodel'), text);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test('a servable file: "valid", then each URI with its version and flavor', async () => {
    const { code, stdout, stderr } = await runCli(['validate', writeConfig(tempDir('flowgate-v-'), ['models:/iris/1', 'models:/iris@champion']), '--resolve', '--tracking-uri', root]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/: valid\n/);
    expect(stdout).toContain('  models:/iris/1 -> iris version 1 (onnx)\n  models:/iris@champion -> iris version 1 (onnx)\n');
  });

  test('models flowgate cannot load: never "valid", every failure listed, exit 1', async () => {
    const custom = join(dir, 'custom-pyfunc');
    const { code, stdout, stderr } = await runCli(['validate', writeConfig(tempDir('flowgate-v-'), ['models:/iris/1', custom, 'models:/iris/7']), '--resolve', '--tracking-uri', root]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`  ${custom}: flavor pyfunc: flowgate cannot serve models of this flavor yet (supported: `);
    expect(stderr).toMatch(/^ {2}models:\/iris\/7: .*iris.*7/m);
    expect(stderr).toMatch(/: 2 model URIs cannot be served\n$/);
  });

  test('a malformed URI is a problem of the file, with its line, even without --resolve', async () => {
    const file = writeConfig(tempDir('flowgate-v-'), ['models:/iris/1', 'models:/iris']);
    const { code, stdout, stderr } = await runCli(['validate', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/flowgate\.yaml:\d+:\d+: endpoints\.e1\.variants\[0\]\.model: Not a proper models:\/ URI: models:\/iris\. /);
  });
});

/** The example registry's ONNX model directory (version 1's artifacts). */
function onnxModelDir(root: string): string {
  const meta = readFileSync(join(root, 'models', 'iris', 'version-1', 'meta.yaml'), 'utf8');
  const source = /storage_location: (\S+)|source: (\S+)/.exec(meta)!;
  return (source[1] ?? source[2]!).replace(/^file:\/\//, '');
}

describe.skipIf(!HAVE_SHARED)('inspect and validate read MLmodel without downloading the model (tracking server with artifact proxy)', () => {
  let tmp: string;
  let server: FakeTrackingServer;
  beforeAll(async () => {
    tmp = tempDir('flowgate-inspect-remote-');
    cpSync(join(MLFLOW_REAL, 'registry-sqlite-server'), join(tmp, 'registry'), { recursive: true });
    server = await startFakeTrackingServer(join(tmp, 'registry'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('inspect: MLmodel and the input example are the only artifacts read; nothing lands in the cache', async () => {
    const cache = join(tmp, 'cache');
    const before = server.requests.length;
    const { code, stdout, stderr } = await runCli(['inspect', 'models:/iris-lr/2', '--tracking-uri', server.url, '--cache-dir', cache]);
    expect(code, stderr).toBe(0);
    const got = JSON.parse(stdout) as Record<string, unknown>;
    expect(got).toMatchObject({ name: 'iris-lr', version: '2', local_path: null, artifact_uri: expect.stringMatching(/^mlflow-artifacts:/) });
    expect(Object.keys(got.flavors as object)).toContain('python_function');
    expect(got.input_example).not.toBeNull();
    const artifactRequests = server.requests.slice(before).map((r) => r.url).filter((u) => u.includes('artifacts'));
    expect(artifactRequests.length).toBeGreaterThan(0);
    for (const u of artifactRequests) expect(u).toMatch(/\/artifacts\/[^?]*(MLmodel|input_example\.json)$/);
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  test('validate --resolve: the flavor is read from MLmodel alone', async () => {
    const before = server.requests.length;
    const { code, stdout, stderr } = await runCli(['validate', writeConfig(tempDir('flowgate-v-'), ['models:/iris-lr@champion']), '--resolve', '--tracking-uri', server.url, '--cache-dir', join(tmp, 'cache2')]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('  models:/iris-lr@champion -> iris-lr version 2 (sklearn)\n');
    const artifactRequests = server.requests.slice(before).map((r) => r.url).filter((u) => u.includes('artifacts'));
    expect(artifactRequests.every((u) => u.endsWith('/MLmodel'))).toBe(true);
  });
});
