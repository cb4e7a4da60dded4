/**
 * The model lifecycle as an operator sees it: `flowgate serve` binds at once and says 503 on
 * /ping until its model serves; a first load that can recover keeps retrying (the process
 * stays up and says why), one that cannot (a wrong tracking URI, a pinned version that
 * cannot load) exits 1 naming the URI; the download cache keeps what serves plus the last N.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { serveConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { CLI, runCli } from '../helpers/cli.js';
import { HAVE_SHARED } from '../helpers/fixtures.js';
import { copyExampleRegistry, setAlias, versionDir } from '../helpers/registry.js';
import { startFaultyServer, type FaultyServer } from './fault-proxy.js';

const temps: string[] = [];
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** `flowgate serve ARGS` on a free port; resolves with its URL as soon as the port answers /health. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; output: () => string }> {
  child = spawn(process.execPath, [CLI, 'serve', '-p', '0', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  let output = '';
  const collect = (d: Buffer) => (output += d.toString());
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return new Promise((resolve, reject) => {
    child!.stdout!.on('data', () => {
      const m = /"msg":"listening on (http:\/\/[0-9.:]+)"/.exec(output);
      if (m) resolve({ url: m[1]!, output: () => output });
    });
    child!.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

function exitOf(c: ChildProcess): Promise<number | null> {
  return new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));
}

describe('flowgate serve: first loads', () => {
  test('a pinned model that cannot load (unknown flavor): exit 1 naming the URI, no retry loop', async () => {
    const root = copyExampleRegistry();
    temps.push(root);
    const dir = temp('flowgate-unknown-flavor-');
    cpSync(versionDir(root, 'iris', 1), dir, { recursive: true });
    writeFileSync(join(dir, 'MLmodel'), readFileSync(join(dir, 'MLmodel'), 'utf8').replace('loader_module: mlflow.onnx', 'loader_module: mlflow.catboost'));
    const { code, stderr } = await runCli(['serve', '-m', dir, '-p', '0', '--log-level', 'silent']);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`flowgate serve: cannot serve ${dir}: .*catboost`));
  });

  test('a wrong tracking URI port: exit 1 within seconds, naming the URI', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const started = Date.now();
    const { code, stderr } = await runCli(['serve', '-m', 'models:/iris@champion', '--tracking-uri', `http://127.0.0.1:${port}`, '-p', '0', '--log-level', 'silent'], {
      env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.1' },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`flowgate serve: cannot serve models:/iris@champion: Could not reach the tracking server at http://127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('an alias whose version cannot load: the process stays up, /health 200, /ping 503, GET /endpoints says why; moving the alias fixes it', async () => {
    const root = copyExampleRegistry();
    temps.push(root);
    writeFileSync(join(versionDir(root, 'iris', 2), 'model.onnx'), 'not an onnx model');
    setAlias(root, 'iris', 'champion', 2);
    const { url, output } = await serve(['-m', 'models:/iris@champion', '--tracking-uri', root, '--poll-interval', '0.5', '--log-level', 'info']);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    type Pending = { version: string; state: string; error: string; failures: number } | null;
    let pending: Pending = null as Pending;
    for (let i = 0; i < 100 && (pending?.failures ?? 0) < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      pending = ((await (await fetch(`${url}/endpoints`)).json()) as { endpoints: { variants: { pending: Pending }[] }[] }).endpoints[0]!.variants[0]!.pending;
    }
    expect(pending).toMatchObject({ version: '2', state: 'failed', failures: 2 });
    expect(pending!.error).toMatch(/onnx|protobuf|model/i);
    expect((await fetch(`${url}/ping`)).status).toBe(503);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(503);
    expect(child!.exitCode).toBeNull();
    // the stack once, then one-line reminders (logs are block-buffered: flushed within 100 ms)
    await vi.waitFor(() => expect(output()).toMatch(/still cannot load version 2 of models:\/iris@champion \(2 attempts\)/), { timeout: 2000 });
    expect(output().match(/"stack"/g)?.length).toBe(1);
    setAlias(root, 'iris', 'champion', 1);
    let ping = 503;
    for (let i = 0; i < 100 && ping !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ping = (await fetch(`${url}/ping`)).status;
    }
    expect(ping).toBe(200);
    for (let i = 0; i < 100 && !output().includes('flowgate is serving at'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(output()).toMatch(/flowgate is serving at/);
  });
});

describe.skipIf(!HAVE_SHARED)('the download cache follows an alias through retrains', () => {
  let registry: FaultyServer | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    await registry?.close();
    server = undefined;
    registry = undefined;
  });

  test('--cache-keep 1: after each swap the cache holds the served version and the one before', async () => {
    registry = await startFaultyServer();
    const cacheDir = temp('flowgate-cache-');
    const config = serveConfig({ port: '0', pollInterval: '0', logLevel: 'silent', trackingUri: registry.url, cacheDir, cacheKeep: '1', modelUri: 'models:/iris-lr@champion' }, {});
    server = await startServer(config, {}, pino({ level: 'silent' }));
    const entries = () => readdirSync(cacheDir).filter((n) => n !== 'refs').map((n) => n.replace(/-[0-9a-f]{16}$/, '')).sort();
    for (const version of [3, 4, 1]) {
      registry.setAlias('iris-lr', 'champion', version);
      await server.follower.poll();
      await new Promise((r) => setTimeout(r, 200)); // the prune runs after the swap
      expect(server.served.current()!.identity.version).toBe(String(version));
    }
    // served: v1; kept: the most recently used other, v4; v2 and v3 removed
    expect(entries()).toEqual(['iris-lr-v1', 'iris-lr-v4']);
    const bytes = Number(/^flowgate_cache_bytes (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(200_000);
  });
});
