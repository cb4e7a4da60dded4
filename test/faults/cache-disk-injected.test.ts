/**
 * The cache-directory faults of registry-faults.test.ts (disk full at start and during a
 * reload, a read-only cache), for machines where a small tmpfs cannot be mounted: the
 * kernel's ENOSPC and EROFS are injected under the cache dir by a fake disk wrapped around
 * node:fs (test/helpers/disk-faults.ts), the module the cache writes through. Run
 * everywhere, so the fallback is proven where the tmpfs tests run too. Each fault: the clear
 * error naming the cache dir is logged and shown as the pending version's error, nothing
 * partial is left, and the version already served keeps serving.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { serveConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { disk } from '../helpers/disk-faults.js';
import { HAVE_SHARED, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startFaultyServer, type FaultyServer } from './fault-proxy.js';

vi.mock('node:fs', async (importOriginal) => (await import('../helpers/disk-faults.js')).faultyFs(await importOriginal()));
vi.mock('node:fs/promises', async (importOriginal) => (await import('../helpers/disk-faults.js')).faultyFsPromises(await importOriginal()));

if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

const ENV = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.05', FLOWGATE_REGISTRY_TIMEOUT: '3' };
const ROW = '{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2]]}}';

let registry: FaultyServer;
let server: RunningServer | undefined;
let cacheDir: string;
let logged: { level: number; line: string }[];

async function serve(waitForModels = true): Promise<RunningServer> {
  await server?.close();
  const config = serveConfig({ port: '0', pollInterval: '0', workers: '0', logLevel: 'info', trackingUri: registry.url, cacheDir, modelUri: 'models:/iris-lr@champion' }, ENV);
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push({ level: (JSON.parse(line) as { level: number }).level, line }) });
  server = await startServer(config, ENV, logger, { waitForModels });
  return server;
}

async function scored(s: RunningServer): Promise<[number, string | null]> {
  const res = await fetch(`${s.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ROW });
  await res.arrayBuffer();
  return [res.status, res.headers.get('x-flowgate-version')];
}

/** The lines logged at warn or error that name the cache dir's fault. */
function cacheErrorsLogged(): string[] {
  return logged.filter((l) => l.level >= 40 && l.line.includes(`Cannot download into the model cache ${cacheDir}`)).map((l) => l.line);
}

describe.skipIf(!HAVE_SHARED)('cache directory faults, injected (no tmpfs needed)', () => {
  beforeEach(async () => {
    logged = [];
    registry = await startFaultyServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'flowgate-fakedisk-'));
    disk.reset(cacheDir);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    disk.reset();
    await registry.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('disk full at start (2 KB free, the model takes 3.4 KB): the clear error is logged, nothing partial kept, /ping 503, /health 200', async () => {
    disk.capacity = 2048;
    const s = await serve(false);
    for (let i = 0; i < 100 && s.follower.pending()?.state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(s.follower.pending()?.error).toMatch(new RegExp(`Cannot download into the model cache ${cacheDir} \\(--cache-dir, FLOWGATE_CACHE_DIR\\): it is full \\(ENOSPC: no space left on device`));
    expect(cacheErrorsLogged().length).toBeGreaterThan(0);
    expect(readdirSync(cacheDir).filter((n) => n !== 'refs')).toEqual([]);
    expect((await fetch(`${s.url}/ping`)).status).toBe(503);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  test('disk full during a reload: version 2 keeps serving, the error is logged, no temp dir left', async () => {
    const s = await serve();
    expect(disk.used).toBeGreaterThan(0); // the download went through the fake disk
    disk.capacity = disk.used + 1024;
    registry.setAlias('iris-lr', 'champion', 4);
    await s.follower.poll();
    expect(await scored(s)).toEqual([200, '2']);
    expect(s.follower.pending()).toMatchObject({ version: '4', state: 'failed' });
    expect(s.follower.pending()?.error).toMatch(/it is full \(ENOSPC/);
    expect(cacheErrorsLogged().length).toBeGreaterThan(0);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  test('a read-only cache dir: the cached version serves after a restart; a new version fails with EROFS, logged', async () => {
    await serve();
    disk.readOnly = true;
    const s = await serve();
    expect(await scored(s)).toEqual([200, '2']);
    registry.setAlias('iris-lr', 'champion', 3);
    await s.follower.poll();
    expect(await scored(s)).toEqual([200, '2']);
    expect(s.follower.pending()?.error).toMatch(/Cannot download into the model cache .*: it is read-only \(EROFS: read-only file system/);
    expect(cacheErrorsLogged().length).toBeGreaterThan(0);
  });
});
