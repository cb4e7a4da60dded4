/**
 * Stores outside the happy path: SQLite schemas of older MLflow releases, databases that
 * are not MLflow's, store URIs flowgate does not read, names that would escape the file store.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { resolveModelVersion } from '../../src/registry/index.js';
import { defaultTrackingUri, parseStoreUri } from '../../src/registry/store-uri.js';
import { captureLogger, options, tempDir } from './fixture.js';

const log = captureLogger();
const tmp = tempDir('edges');
afterAll(() => tmp.cleanup());

async function failure(promise: Promise<unknown>): Promise<MlflowError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MlflowError);
  return err as MlflowError;
}

describe('SQLite schema of MLflow 1.x (no storage_location column, no aliases table)', () => {
  const path = join(tmp.dir, 'old.db');
  beforeAll(() => {
    const db = new Database(path);
    db.exec(`
      CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);
      INSERT INTO alembic_version VALUES ('2b4d017a5e9b');
      CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, experiment_id INTEGER, artifact_uri VARCHAR(200));
      CREATE TABLE registered_models (name VARCHAR(256) PRIMARY KEY, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000));
      CREATE TABLE model_versions (name VARCHAR(256), version INTEGER NOT NULL, creation_time BIGINT, last_updated_time BIGINT,
        description VARCHAR(5000), user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32) NOT NULL,
        status VARCHAR(20), status_message VARCHAR(500), PRIMARY KEY (name, version));
      INSERT INTO registered_models VALUES ('old', 1, 1, NULL);
      INSERT INTO model_versions VALUES ('old', 1, 1, 1, NULL, NULL, 'Production', '/srv/mlruns/0/abc/artifacts/model', 'abc', 'READY', NULL);
      INSERT INTO model_versions VALUES ('old', 2, 1, 1, NULL, NULL, 'None', 's3://bucket/0/def/artifacts/model', 'def', 'READY', NULL);
    `);
    db.close();
  });
  const opts = () => options(`sqlite:///${path}`, join(tmp.dir, 'cache'), log.logger);

  it('resolves stages and versions from the columns it has', async () => {
    expect(await resolveModelVersion('models:/old/production', opts())).toMatchObject({ version: '1', artifactUri: '/srv/mlruns/0/abc/artifacts/model', aliases: [] });
    expect(await resolveModelVersion('models:/old/latest', opts())).toMatchObject({ version: '2', artifactUri: 's3://bucket/0/def/artifacts/model' });
  });

  it('has no aliases to find', async () => {
    const err = await failure(resolveModelVersion('models:/old@champion', opts()));
    expect([err.errorCode, err.message]).toEqual(['INVALID_PARAMETER_VALUE', 'Registered model alias champion not found.']);
  });

  it('has no logged models', async () => {
    const err = await failure(resolveModelVersion('models:/m-0123', opts()));
    expect(err.message).toBe("Logged model with ID 'm-0123' not found.");
  });
});

describe('databases that are not MLflow registries', () => {
  it('a database from before the model registry says so, with its revision', async () => {
    const path = join(tmp.dir, 'prereg.db');
    const db = new Database(path);
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32)); INSERT INTO alembic_version VALUES ('89d4b8295536');");
    db.close();
    const err = await failure(resolveModelVersion('models:/x/1', options(`sqlite:///${path}`, tmp.dir, log.logger)));
    expect(err.message).toContain('89d4b8295536');
    expect(err.message).toContain('no model registry tables');
  });

  it('any other SQLite file is refused', async () => {
    const path = join(tmp.dir, 'other.db');
    new Database(path).exec('CREATE TABLE t (x INTEGER)');
    const err = await failure(resolveModelVersion('models:/x/1', options(`sqlite:///${path}`, tmp.dir, log.logger)));
    expect(err.message).toContain('is not an MLflow database');
  });

  it('a missing database file is not created', async () => {
    const err = await failure(resolveModelVersion('models:/x/1', options(`sqlite:///${tmp.dir}/none.db`, tmp.dir, log.logger)));
    expect(err.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(err.message).toContain(`${tmp.dir}/none.db`);
  });
});

describe('file store names', () => {
  const root = join(tmp.dir, 'mlruns');
  beforeAll(() => {
    mkdirSync(join(root, 'models', 'ok', 'version-1'), { recursive: true });
    writeFileSync(join(root, 'models', 'ok', 'version-1', 'meta.yaml'), 'name: ok\nversion: 1\ncurrent_stage: None\nsource: /x\n');
  });
  const opts = () => options(root, tmp.dir, log.logger);

  it.each([
    ['models:/../1', 'Registered Model with name=.. not found'],
    ['models:/a%2Fb/1', "Invalid name: 'a%2Fb'. Registered model name cannot contain '%' character"],
    ['models:/nope/1', 'Registered Model with name=nope not found'],
    ['models:/ok/9', 'Model Version (name=ok, version=9) not found'],
  ])('%s → %s', async (uri, message) => {
    expect((await failure(resolveModelVersion(uri, opts()))).message).toBe(message);
  });

  it('a missing store root is named', async () => {
    const err = await failure(resolveModelVersion('models:/ok/1', options(join(tmp.dir, 'nowhere'), tmp.dir, log.logger)));
    expect(err.message).toContain(join(tmp.dir, 'nowhere'));
  });
});

describe('store URIs', () => {
  it.each([
    ['file:/abs/mlruns', { kind: 'file', root: '/abs/mlruns' }],
    ['file:///abs/mlruns', { kind: 'file', root: '/abs/mlruns' }],
    ['file:./mlruns', { kind: 'file', root: '/cwd/mlruns' }],
    ['mlruns', { kind: 'file', root: '/cwd/mlruns' }],
    ['/abs/mlruns', { kind: 'file', root: '/abs/mlruns' }],
    ['sqlite:///mlflow.db', { kind: 'sqlite', path: '/cwd/mlflow.db' }],
    ['sqlite:////abs/mlflow.db', { kind: 'sqlite', path: '/abs/mlflow.db' }],
    ['http://host:5000/', { kind: 'rest', baseUrl: 'http://host:5000' }],
    ['https://host/prefix', { kind: 'rest', baseUrl: 'https://host/prefix' }],
  ])('%s', (uri, expected) => {
    expect(parseStoreUri(uri, '/cwd')).toMatchObject(expected);
  });

  it.each([
    ['postgresql://user:secret@db/mlflow', 'NOT_IMPLEMENTED'],
    ['databricks-uc', 'NOT_IMPLEMENTED'],
    ['databricks://profile', 'NOT_IMPLEMENTED'],
    ['http://user:secret@host:5000', 'INVALID_PARAMETER_VALUE'],
  ])('%s is refused without echoing credentials', (uri, code) => {
    let err: unknown;
    try {
      parseStoreUri(uri, '/cwd');
    } catch (e) {
      err = e;
    }
    expect((err as MlflowError).errorCode).toBe(code);
    expect((err as MlflowError).message).not.toContain('secret');
  });

  it('defaults to ./mlruns when it holds experiments, else sqlite:///mlflow.db', () => {
    const cwd = join(tmp.dir, 'cwd');
    mkdirSync(join(cwd, 'mlruns', 'models'), { recursive: true });
    expect(defaultTrackingUri(cwd)).toBe(`sqlite:///${cwd}/mlflow.db`);
    mkdirSync(join(cwd, 'mlruns', '0'));
    writeFileSync(join(cwd, 'mlruns', '0', 'meta.yaml'), 'name: Default\n');
    expect(defaultTrackingUri(cwd)).toBe(`file://${cwd}/mlruns`);
  });
});
