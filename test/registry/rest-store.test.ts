/**
 * The 30-URI table over REST, against a fake tracking server built from the
 * registry-sqlite-server fixture (see fake-tracking-server.ts for what it emulates),
 * with artifacts downloaded through the mlflow-artifacts proxy into the cache; the same
 * database read directly as SQLite; and MLFLOW_REGISTRY_URI splitting the two roles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { resolveModel, resolveModelVersion, fetchModelFiles } from '../../src/registry/index.js';
import { startFakeTrackingServer, type FakeTrackingServer } from './fake-tracking-server.js';
import {
  HAVE_FIXTURES,
  captureLogger,
  expectedCode,
  expectedMessage,
  options,
  relocatedCopy,
  resolutionTable,
  tempDir,
} from './fixture.js';

const table = HAVE_FIXTURES ? resolutionTable('registry-sqlite-server') : [];

describe.skipIf(!HAVE_FIXTURES)('registry-sqlite-server over REST: the 30-URI table', () => {
  const tmp = tempDir('rest');
  const log = captureLogger();
  let server: FakeTrackingServer;
  beforeAll(async () => {
    server = await startFakeTrackingServer(relocatedCopy('registry-sqlite-server', tmp.dir));
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });
  const opts = () => options(server.url, join(tmp.dir, 'cache'), log.logger);

  it('has the 30 URIs', () => expect(table).toHaveLength(30));

  it.each(table)('%s', async (uri, expected) => {
    if (!expected.ok) {
      const err = await resolveModel(uri, opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).message).toBe(expectedMessage(expected));
      expect((err as MlflowError).errorCode).toBe(expectedCode(expected));
      return;
    }
    const model = await resolveModel(uri, opts());
    expect(model.name).toBe(expected.name);
    expect(model.version).toBe(expected.version);
    expect(model.artifactUri).toMatch(/^mlflow-artifacts:\/1\/[0-9a-f]{32}\/artifacts\/model$/);
    expect(model.localPath.startsWith(join(tmp.dir, 'cache'))).toBe(true);
    expect(readFileSync(join(model.localPath, 'MLmodel'), 'utf8')).toContain(`run_id: ${model.runId}`);
  });

  it('uses the cache for a version it already has, without touching the artifact proxy', async () => {
    const ref = await resolveModelVersion('models:/iris-lr/2', opts());
    const first = await fetchModelFiles(ref, opts());
    const before = server.requests.length;
    const again = await fetchModelFiles(ref, opts());
    expect(again).toBe(first);
    expect(server.requests.length).toBe(before);
  });

  it('reads runs:/ through the run-artifact endpoints', async () => {
    const champion = await resolveModelVersion('models:/iris-lr@champion', opts());
    const before = server.requests.length;
    const model = await resolveModel(`runs:/${champion.runId}/model`, opts());
    expect(model).toMatchObject({ name: null, version: null, runId: champion.runId, artifactUri: `runs:/${champion.runId}/model` });
    expect(model.source).toBe(`mlflow-artifacts:/1/${champion.runId}/artifacts/model`);
    expect(readFileSync(join(model.localPath, 'MLmodel'), 'utf8')).toContain(`run_id: ${champion.runId}`);
    const made = server.requests.slice(before).map((r) => new URL(r.url, 'http://x').pathname);
    expect(made).toContain('/api/2.0/mlflow/artifacts/list');
    expect(made).toContain('/get-artifact');
    expect(made.some((p) => p.includes('mlflow-artifacts'))).toBe(false);
  });

  it('reads a plain mlflow-artifacts:/ URI through the tracking server', async () => {
    const champion = await resolveModelVersion('models:/xgb-iris@champion', opts());
    const model = await resolveModel(`mlflow-artifacts:/1/${champion.runId}/artifacts/model`, opts());
    expect(model).toMatchObject({ name: null, trackingUri: server.url });
    expect(readFileSync(join(model.localPath, 'MLmodel'), 'utf8')).toContain(`run_id: ${champion.runId}`);
  });

  it('a missing run path on an MLflow 2 server (no logged models) is reported as empty', async () => {
    const champion = await resolveModelVersion('models:/iris-lr@champion', opts());
    const ref = await resolveModelVersion(`runs:/${champion.runId}/no-such-dir`, opts());
    expect(ref).toMatchObject({ artifactUri: `runs:/${champion.runId}/no-such-dir`, modelId: null });
    const err = await fetchModelFiles(ref, opts()).catch((e: unknown) => e);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((err as MlflowError).message).toBe(`No artifacts found at runs:/${champion.runId}/no-such-dir (via ${server.url})`);
  });

  it('names a missing run as MLflow does', async () => {
    const err = await resolveModel('runs:/0123456789abcdef0123456789abcdef/model', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((err as MlflowError).message).toBe('Run with id=0123456789abcdef0123456789abcdef not found');
  });
});

describe.skipIf(!HAVE_FIXTURES)('a restart while the tracking server is down', () => {
  const tmp = tempDir('down');
  const log = captureLogger();
  afterAll(() => tmp.cleanup());

  it('serves the version the URI resolved to last time, from the cache', async () => {
    const server = await startFakeTrackingServer(relocatedCopy('registry-sqlite-server', tmp.dir));
    const opts = options(server.url, join(tmp.dir, 'cache'), log.logger, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    const first = await resolveModel('models:/diabetes-reg/Staging', opts);
    await server.close();
    const poll = await resolveModelVersion('models:/diabetes-reg/Staging', opts).catch((e: unknown) => e);
    expect((poll as MlflowError).errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    const restarted = await resolveModel('models:/diabetes-reg/Staging', opts);
    expect(restarted).toEqual(first);
    expect(log.records().some((r) => r.level === 40 && String(r.msg).startsWith('registry unreachable'))).toBe(true);
    // a URI never resolved before still fails
    const other = await resolveModel('models:/iris-lr/1', opts).catch((e: unknown) => e);
    expect((other as MlflowError).errorCode).toBe('TEMPORARILY_UNAVAILABLE');
  });
});

describe.skipIf(!HAVE_FIXTURES)('registry-sqlite behind a server without an artifact proxy: the 30-URI table', () => {
  // Its versions' sources are paths on the server's disk (/tmp/sa-mlflow/gen/registry-sqlite/...).
  const tmp = tempDir('rest-paths');
  const log = captureLogger();
  let server: FakeTrackingServer;
  beforeAll(async () => {
    const dir = relocatedCopy('registry-sqlite', tmp.dir);
    server = await startFakeTrackingServer(dir, { serverPaths: { from: '/tmp/sa-mlflow/gen/registry-sqlite', to: dir } });
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });
  const sqliteTable = HAVE_FIXTURES ? resolutionTable('registry-sqlite') : [];

  it.each(sqliteTable)('%s', async (uri, expected) => {
    const opts = options(server.url, join(tmp.dir, 'cache'), log.logger);
    if (!expected.ok) {
      const err = await resolveModel(uri, opts).catch((e: unknown) => e);
      expect((err as MlflowError).message).toBe(expectedMessage(expected));
      expect((err as MlflowError).errorCode).toBe(expectedCode(expected));
      return;
    }
    const model = await resolveModel(uri, opts);
    expect([model.name, model.version]).toEqual([expected.name, expected.version]);
    expect(model.source).toMatch(/^\/tmp\/sa-mlflow\/gen\/registry-sqlite\/mlruns\/1\/[0-9a-f]{32}\/artifacts\/model$/);
    expect(model.artifactUri).toBe(`runs:/${model.runId}/model`);
    expect(readFileSync(join(model.localPath, 'MLmodel'), 'utf8')).toContain(`run_id: ${model.runId}`);
  });

  it('says it reads the server-side path through the server', () => {
    expect(log.records().some((r) => String(r.msg).includes("on the tracking server's disk"))).toBe(true);
  });
});

describe.skipIf(!HAVE_FIXTURES)('registry-sqlite-server read directly as SQLite', () => {
  const tmp = tempDir('sqlsrv');
  const log = captureLogger();
  let dir = '';
  beforeAll(() => {
    dir = relocatedCopy('registry-sqlite-server', tmp.dir);
  });
  afterAll(() => tmp.cleanup());
  const opts = () => options(`sqlite:///${dir}/mlflow.db`, join(tmp.dir, 'cache'), log.logger);

  it.each(table)('%s picks the same version', async (uri, expected) => {
    if (!expected.ok) {
      const err = await resolveModelVersion(uri, opts()).catch((e: unknown) => e);
      expect((err as MlflowError).message).toBe(expectedMessage(expected));
      expect((err as MlflowError).errorCode).toBe(expectedCode(expected));
      return;
    }
    const ref = await resolveModelVersion(uri, opts());
    expect([ref.name, ref.version]).toEqual([expected.name, expected.version]);
  });

  it('cannot fetch mlflow-artifacts:/ without a tracking server, and says why', async () => {
    const ref = await resolveModelVersion('models:/iris-lr/Production', opts());
    const err = await fetchModelFiles(ref, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).message).toContain('the tracking URI must be a valid http or https URI');
    expect((err as MlflowError).message).toContain(`sqlite:///${dir}/mlflow.db`);
  });
});

describe.skipIf(!HAVE_FIXTURES)('MLFLOW_REGISTRY_URI overrides the tracking URI for registry look-ups', () => {
  const tmp = tempDir('split');
  const log = captureLogger();
  let server: FakeTrackingServer;
  let fileStore = '';
  let serverDir = '';
  beforeAll(async () => {
    serverDir = relocatedCopy('registry-sqlite-server', tmp.dir);
    fileStore = relocatedCopy('registry-file', tmp.dir);
    server = await startFakeTrackingServer(serverDir);
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  it('registry on the server, tracking on a file store', async () => {
    const opts = options(`file:${fileStore}/mlruns`, join(tmp.dir, 'cache'), log.logger, { MLFLOW_REGISTRY_URI: server.url });
    const model = await resolveModel('models:/iris-lr/Staging', opts);
    expect(model.version).toBe('3');
    // The server's mlflow-artifacts:/ location is read through the server that returned it.
    expect(model.trackingUri).toBe(server.url);
    expect(existsSync(join(model.localPath, 'MLmodel'))).toBe(true);
  });

  it('registry in the SQLite file, artifacts through the tracking server', async () => {
    const opts = options(server.url, join(tmp.dir, 'cache'), log.logger, { MLFLOW_REGISTRY_URI: `sqlite:///${serverDir}/mlflow.db` });
    const before = server.requests.length;
    const ref = await resolveModelVersion('models:/diabetes-reg@champion', opts);
    expect(server.requests.length).toBe(before);
    expect(ref.version).toBe('2');
    const dir = await fetchModelFiles(ref, opts);
    expect(readFileSync(join(dir, 'MLmodel'), 'utf8')).toContain(`run_id: ${ref.runId}`);
    expect(server.requests.length).toBeGreaterThan(before);
  });
});
