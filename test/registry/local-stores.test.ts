/**
 * The 30-URI resolution table of real MLflow 2.17.2 against the file store and the
 * direct SQLite store, each copied to a temp dir first ("relocated": every stored
 * absolute artifact path points at the generating machine and no longer exists).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { resolveModel, resolveModelVersion } from '../../src/registry/index.js';
import {
  HAVE_FIXTURES,
  captureLogger,
  expectedCode,
  expectedMessage,
  options,
  relocatedCopy,
  resolutionTable,
  tempDir,
  type RegistryName,
} from './fixture.js';

const backends: { registry: RegistryName; trackingUri: (dir: string) => string }[] = [
  { registry: 'registry-file', trackingUri: (dir) => `file:${dir}/mlruns` },
  { registry: 'registry-sqlite', trackingUri: (dir) => `sqlite:///${dir}/mlflow.db` },
];

describe.skipIf(!HAVE_FIXTURES)('no tracking URI: MLflow\'s default', () => {
  const tmp = tempDir('default');
  afterAll(() => tmp.cleanup());

  it('is ./mlruns when it holds experiments', async () => {
    const dir = relocatedCopy('registry-file', tmp.dir);
    const opts = options(null, join(tmp.dir, 'cache'), captureLogger().logger, {}, { cwd: dir });
    expect((await resolveModel('models:/iris-lr/Staging', opts)).version).toBe('3');
  });

  it('else ./mlflow.db', async () => {
    const dir = relocatedCopy('registry-sqlite', tmp.dir);
    const opts = options(null, join(tmp.dir, 'cache'), captureLogger().logger, {}, { cwd: dir });
    expect((await resolveModel('models:/iris-lr/Archived', opts)).version).toBe('1');
  });
});

describe.skipIf(!HAVE_FIXTURES).each(backends)('$registry, relocated: the 30-URI table', ({ registry, trackingUri }) => {
  const tmp = tempDir(registry);
  const log = captureLogger();
  let dir = '';
  beforeAll(() => {
    dir = relocatedCopy(registry, tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  const table = HAVE_FIXTURES ? resolutionTable(registry) : [];
  it('has the 30 URIs', () => expect(table).toHaveLength(30));

  it.each(table)('%s', async (uri, expected) => {
    const opts = options(trackingUri(dir), join(tmp.dir, 'cache'), log.logger);
    if (!expected.ok) {
      const err = await resolveModel(uri, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).message).toBe(expectedMessage(expected));
      expect((err as MlflowError).errorCode).toBe(expectedCode(expected));
      return;
    }
    const model = await resolveModel(uri, opts);
    expect(model.name).toBe(expected.name);
    expect(model.version).toBe(expected.version);
    // The files are the relocated copy's own, in place (no download for a local store).
    expect(model.localPath.startsWith(dir)).toBe(true);
    const mlmodel = readFileSync(join(model.localPath, 'MLmodel'), 'utf8');
    expect(mlmodel).toContain(`run_id: ${model.runId}`);
  });

  it('logs that it found the artifacts relative to the registry root', () => {
    const moved = log.records().filter((r) => r.level === 40 && String(r.msg).includes('registry root'));
    expect(moved.length).toBeGreaterThan(0);
    expect(String(moved[0]!.using).startsWith(dir)).toBe(true);
    expect(String(moved[0]!.stored)).toContain('/tmp/sa-mlflow/gen/');
  });

  it('runs:/<run>/model reads the run\'s artifacts in the relocated store', async () => {
    const opts = options(trackingUri(dir), join(tmp.dir, 'cache'), log.logger);
    const champion = await resolveModelVersion('models:/iris-lr@champion', opts);
    const model = await resolveModel(`runs:/${champion.runId}/model`, opts);
    expect(model).toMatchObject({ name: null, version: null, runId: champion.runId, modelId: null });
    expect(model.localPath).toBe(champion.artifactUri.replace(/^file:\/\//, ''));
    const err = await resolveModel('runs:/ffffffffffffffffffffffffffffffff/model', opts).catch((e: unknown) => e);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('reports stage, aliases and source of the version it picked', async () => {
    const ref = await resolveModelVersion('models:/iris-lr@champion', options(trackingUri(dir), join(tmp.dir, 'cache'), log.logger));
    expect(ref).toMatchObject({ name: 'iris-lr', version: '2', stage: 'Production', aliases: ['champion'], modelId: null });
    expect(ref.source).toContain('/tmp/sa-mlflow/gen/');
    expect(ref.artifactUri.startsWith(dir)).toBe(true);
  });
});
