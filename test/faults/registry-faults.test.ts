/**
 * Registry and artifact faults, at start and during reload: each gives the right error,
 * loses no request, leaves nothing half-written in the cache, and where a version already
 * serves, it keeps serving. The tracking server is the fake MLflow server behind a proxy
 * that injects the fault (fault-proxy.ts).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { serveConfig, type ServeFlags } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { HAVE_SHARED, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { IS_MODEL_FILE, IS_REGISTRY, startFaultyServer, type Fault, type FaultyServer } from './fault-proxy.js';

if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

/** Few, quick retries: the tests prove the paths, not MLflow's patience. */
const ENV = {
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2',
  MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.05',
  MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0',
  FLOWGATE_REGISTRY_TIMEOUT: '3',
};
const ROW = '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';

interface LogLine {
  level: number;
  msg: string;
  err?: { stack?: string };
}

let registry: FaultyServer;
let server: RunningServer | undefined;
let cacheDir: string;
let lines: LogLine[];

function logger() {
  return pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
}

async function start(flags: ServeFlags = {}, waitForModels = true): Promise<RunningServer> {
  const config = serveConfig({ port: '0', pollInterval: '0', logLevel: 'info', trackingUri: registry.url, cacheDir, ...flags, modelUri: flags.modelUri ?? 'models:/iris-lr@champion' }, ENV);
  server = await startServer(config, ENV, logger(), { waitForModels });
  return server;
}

async function predict(s: RunningServer): Promise<{ status: number; version: string | null }> {
  const res = await fetch(`${s.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ROW });
  await res.arrayBuffer();
  return { status: res.status, version: res.headers.get('x-flowgate-version') };
}

/** Only `when` requests get `fault`. */
function inject(when: (path: string) => boolean, fault: Fault): void {
  registry.fault = (path) => (when(path) ? fault : null);
}

function cacheEntries(): string[] {
  return existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => n !== 'refs') : [];
}

const GARBAGE: [string, Fault][] = [
  ['garbage', { kind: 'body', contentType: 'application/json', body: '\u0000\u0001garbage\u00ff' }],
  ['an HTML page', { kind: 'body', contentType: 'text/html', body: '<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>' }],
  ['truncated JSON', { kind: 'body', contentType: 'application/json', body: '{"model_version": {"name": "iris-lr", "vers' }],
  ['JSON of the wrong shape', { kind: 'body', contentType: 'application/json', body: '{"model_version": {"name": 7}}' }],
];

describe.skipIf(!HAVE_SHARED)('registry faults', () => {
  beforeEach(async () => {
    lines = [];
    registry = await startFaultyServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'flowgate-cache-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await registry.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  describe('at start', () => {
    test('unreachable, nothing cached: a clear error naming the server, after the retries', async () => {
      inject(() => true, { kind: 'refuse' });
      const err = await start().then(() => null, (e: Error) => e);
      expect(err?.message).toContain(`Could not reach the tracking server at ${registry.url}`);
      expect(err?.message).toMatch(/after 2 retries/);
      expect(registry.log.length).toBe(3);
    });

    test('unreachable, the version cached by an earlier run: it is served from the cache, with a warning', async () => {
      await (await start()).close();
      server = undefined;
      inject(() => true, { kind: 'refuse' });
      const s = await start();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(lines.some((l) => l.msg.startsWith('registry unreachable; serving the version this URI resolved to last time'))).toBe(true);
    });

    test.each(GARBAGE)('answering %s: a clear error naming the server and the call', async (_label, fault) => {
      inject(IS_REGISTRY, fault);
      const err = await start().then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`(Tracking server ${registry.url} answered GET /api/2.0/mlflow/registered-models/alias with invalid JSON|Unexpected registered-models/alias answer from the tracking server)`));
    });

    test('slow (each call 1 s, longer than the poll interval): the port answers at once, /ping 503 until the model serves', async () => {
      inject(IS_REGISTRY, { kind: 'delay', ms: 1000 });
      const started = Date.now();
      const s = await start({ pollInterval: '0.2' }, false);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await fetch(`${s.url}/ping`)).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1000);
      await s.ready;
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect((await fetch(`${s.url}/ping`)).status).toBe(200);
    });

    test('5xx, then recovering: the retries carry the start through', async () => {
      let failures = 2;
      registry.fault = (path) => (IS_REGISTRY(path) && failures-- > 0 ? { kind: 'status', status: 503 } : null);
      const s = await start();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(registry.log.filter((l) => l.fault === 'status')).toHaveLength(2);
    });

    test('a download that keeps failing: the port answers, /health 200, /ping 503, the pending version says why; it loads once the fault is gone', async () => {
      inject(IS_MODEL_FILE, { kind: 'cut', afterBytes: 100 });
      const s = await start({}, false);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await fetch(`${s.url}/ping`)).status).toBe(503);
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(503);
      expect((await fetch(`${s.url}/v2/health/live`)).status).toBe(200);
      expect(await predict(s)).toEqual({ status: 503, version: null });
      type Pending = { state: string; error: string | null; failures: number; next_retry: string | null } | null;
      let pending: Pending = null as Pending;
      for (let i = 0; i < 100 && (pending === null || pending.failures < 2); i++) {
        await new Promise((r) => setTimeout(r, 50));
        const body = (await (await fetch(`${s.url}/endpoints`)).json()) as { endpoints: { variants: { pending: Pending }[] }[] };
        pending = body.endpoints[0]!.variants[0]!.pending;
      }
      expect(pending).toMatchObject({ state: 'failed', failures: 2 });
      expect(pending!.error).toMatch(/model\.pkl|aborted|socket|terminated|ECONNRESET|truncated/i);
      expect(Date.parse(pending!.next_retry!)).toBeGreaterThan(Date.now() - 1000);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/flowgate_model_pending\{uri="models:\/iris-lr@champion",version="2",state="(failed|loading)"\} 1/);
      // the stack once, then one-line reminders
      const failures = lines.filter((l) => /cannot load version 2|still cannot load version 2/.test(l.msg));
      expect(failures[0]!.err?.stack).toBeDefined();
      expect(failures[1]!.msg).toMatch(/^still cannot load version 2 of models:\/iris-lr@champion \(2 attempts\): .*; nothing is served yet; next retry in 2 s$/);
      expect(failures[1]!.err).toBeUndefined();
      expect(cacheEntries().filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      registry.fault = () => null;
      await s.ready;
      expect((await fetch(`${s.url}/ping`)).status).toBe(200);
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(await (await fetch(`${s.url}/metrics`)).text()).not.toMatch(/flowgate_model_pending\{/);
    }, 30_000);
  });

  describe('during reload: the old version keeps serving', () => {
    async function startThenMove(): Promise<RunningServer> {
      const s = await start();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      registry.setAlias('iris-lr', 'champion', 3);
      return s;
    }

    test('unreachable: version 2 serves, the poll error is counted; reachable again, version 3 swaps in', async () => {
      const s = await startThenMove();
      inject(() => true, { kind: 'refuse' });
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/flowgate_registry_poll_errors_total\{model="iris-lr"\} 1/);
      registry.fault = () => null;
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '3' });
    });

    test.each(GARBAGE)('answering %s: version 2 serves, the error is logged', async (_label, fault) => {
      const s = await startThenMove();
      inject(IS_REGISTRY, fault);
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(lines.some((l) => l.msg.startsWith('cannot resolve models:/iris-lr@champion in the registry; still serving version 2'))).toBe(true);
    });

    test('slower than the poll interval: polls never overlap, requests never wait on the registry', async () => {
      const s = await start({ pollInterval: '0.1' });
      inject(IS_REGISTRY, { kind: 'delay', ms: 600 });
      registry.log.length = 0;
      registry.maxConcurrent = 0;
      const answers: { status: number; version: string | null }[] = [];
      const until = Date.now() + 2000;
      while (Date.now() < until) answers.push(await predict(s));
      expect(answers.every((a) => a.status === 200 && a.version === '2')).toBe(true);
      expect(registry.log.filter((l) => l.fault === 'delay').length).toBeGreaterThanOrEqual(2);
      expect(registry.maxConcurrent).toBe(1);
      registry.setAlias('iris-lr', 'champion', 3);
      registry.fault = () => null;
      for (let i = 0; i < 100 && (await predict(s)).version !== '3'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await predict(s)).toEqual({ status: 200, version: '3' });
    });

    test('5xx, then recovering within the retries: version 3 swaps in', async () => {
      const s = await startThenMove();
      let failures = 2;
      registry.fault = (path) => (IS_REGISTRY(path) && failures-- > 0 ? { kind: 'status', status: 502 } : null);
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '3' });
    });

    test('5xx beyond the retries: the error says HTTP 503 and who said it; version 2 serves', async () => {
      const s = await startThenMove();
      inject(IS_REGISTRY, { kind: 'status', status: 503 });
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      const line = lines.find((l) => l.msg.startsWith('cannot resolve'));
      expect(JSON.stringify(line)).toContain(`${registry.url}/api/2.0/mlflow/registered-models/alias failed with HTTP 503`);
    });

    test.each([
      ['a ../ path', '../../../../../../tmp/flowgate-pwned', /Refusing artifact path .*contains '\.\.'/],
      ['an absolute path', '/etc/cron.d/flowgate-pwned', /Refusing artifact path .*is absolute/],
    ])('an artifact listing with %s: refused, nothing written outside the cache, version 2 serves', async (_label, path, message) => {
      const s = await startThenMove();
      const before = cacheEntries();
      inject((p) => p.startsWith('/api/2.0/mlflow-artifacts/artifacts?'), {
        kind: 'body',
        contentType: 'application/json',
        body: JSON.stringify({ files: [{ path: 'MLmodel', is_dir: false, file_size: 10 }, { path, is_dir: false, file_size: 10 }] }),
      });
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(s.follower.pending()!.error).toMatch(message);
      expect(cacheEntries()).toEqual(before);
      expect(existsSync('/tmp/flowgate-pwned') || existsSync('/etc/cron.d/flowgate-pwned')).toBe(false);
      expect(registry.log.some((l) => l.path.includes('pwned'))).toBe(false);
    });

    test.each<[string, Fault, RegExp]>([
      ['cut mid-way', { kind: 'cut', afterBytes: 64 }, /aborted|ECONNRESET|socket hang up|terminated|truncated|premature/i],
      ['longer than it is (wrong Content-Length)', { kind: 'length', extra: 10 }, /aborted|ECONNRESET|socket hang up|terminated|truncated|premature/i],
    ])('a download %s: refused, nothing half-written is kept, version 2 serves; the backoff retry loads it once fixed', async (_label, fault, message) => {
      const s = await startThenMove();
      const before = cacheEntries();
      inject(IS_MODEL_FILE, fault);
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '2' });
      expect(s.follower.pending()).toMatchObject({ version: '3', state: 'failed', failures: 1 });
      expect(s.follower.pending()!.error).toMatch(message);
      expect(cacheEntries()).toEqual(before);
      // a poll inside the backoff asks the registry but does not download again
      const downloads = registry.log.filter((l) => IS_MODEL_FILE(l.path)).length;
      await s.follower.poll();
      expect(registry.log.filter((l) => IS_MODEL_FILE(l.path)).length).toBe(downloads);
      registry.fault = () => null;
      await new Promise((r) => setTimeout(r, 1100));
      await s.follower.poll();
      expect(await predict(s)).toEqual({ status: 200, version: '3' });
      expect(s.follower.pending()).toBeNull();
    });
  });
});

/** A 1 MB tmpfs (root only), or null where mounting is not allowed. */
function mountTmpfs(options: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

const CAN_MOUNT = (() => {
  const dir = mountTmpfs('size=64k');
  if (dir === null) return false;
  execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  return true;
})();
if (!CAN_MOUNT) console.warn('cannot mount a tmpfs here (needs root): skipping the disk-full and read-only cache tests (cache-disk-injected.test.ts injects them instead)');

describe.skipIf(!HAVE_SHARED || !CAN_MOUNT)('cache directory faults', () => {
  let mounted: string | null = null;
  beforeEach(async () => {
    lines = [];
    registry = await startFaultyServer();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await registry.close();
    if (mounted !== null) {
      execFileSync('umount', [mounted]);
      rmSync(mounted, { recursive: true, force: true });
      mounted = null;
    }
  });

  test('disk full (a 16 KB tmpfs): a clear error naming the cache dir, no partial files, /ping 503', async () => {
    mounted = mountTmpfs('size=16k');
    cacheDir = mounted!;
    const s = await start({}, false);
    for (let i = 0; i < 100 && s.follower.pending()?.state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(s.follower.pending()?.error).toMatch(new RegExp(`Cannot download into the model cache ${cacheDir} \\(--cache-dir, FLOWGATE_CACHE_DIR\\): it is full \\(ENOSPC`));
    expect(readdirSync(cacheDir).filter((n) => n !== 'refs')).toEqual([]);
    expect((await fetch(`${s.url}/ping`)).status).toBe(503);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  test('disk full during reload: version 2 keeps serving', async () => {
    mounted = mountTmpfs('size=64k');
    cacheDir = mounted!;
    const s = await start();
    execFileSync('mount', ['-o', 'remount,size=40k', mounted!]);
    registry.setAlias('iris-lr', 'champion', 4); // the larger version
    await s.follower.poll();
    expect(await predict(s)).toEqual({ status: 200, version: '2' });
    expect(s.follower.pending()?.error).toMatch(/it is full \(ENOSPC/);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  test('a read-only cache dir: what is cached serves; a new version fails with a clear error', async () => {
    mounted = mountTmpfs('size=1m');
    cacheDir = mounted!;
    await (await start()).close();
    execFileSync('mount', ['-o', 'remount,ro', mounted!]);
    const s = await start();
    expect(await predict(s)).toEqual({ status: 200, version: '2' });
    registry.setAlias('iris-lr', 'champion', 3);
    await s.follower.poll();
    expect(await predict(s)).toEqual({ status: 200, version: '2' });
    expect(s.follower.pending()?.error).toMatch(/Cannot download into the model cache .*: it is read-only \(EROFS/);
  });
});
