/**
 * MLflow 3 layouts the 2.17 fixtures do not have: logged models (`models:/m-<id>`),
 * versions registered from them, runs:/ falling back to a run's logged model, soft-deleted
 * versions and the `@latest` quirk with mixed stages. The stores are written here by hand,
 * field for field as MLflow 3's file store and SQL schema write them (spec §5.4, §5.6).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MlflowError } from '../../src/errors.js';
import { resolveModel, resolveModelVersion, listModelVersions } from '../../src/registry/index.js';
import { captureLogger, options, tempDir } from './fixture.js';

const RUN = '4f1d2c3b4a5968778695a4b3c2d1e0f9';
const M1 = 'm-11111111111111111111111111111111';
const M2 = 'm-22222222222222222222222222222222';
const M_DELETED = 'm-33333333333333333333333333333333';

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

function mlmodel(dir: string, modelId: string): void {
  write(join(dir, 'MLmodel'), `artifact_path: model\nflavors: {}\nmodel_id: ${modelId}\nrun_id: ${RUN}\n`);
}

/** Artifact files of the logged models, and a run artifact, under `root` (an mlruns dir). */
function artifacts(root: string): void {
  mlmodel(join(root, '1', 'models', M1, 'artifacts'), M1);
  mlmodel(join(root, '1', 'models', M2, 'artifacts'), M2);
  mlmodel(join(root, '1', 'models', M_DELETED, 'artifacts'), M_DELETED);
  write(join(root, '1', RUN, 'artifacts', 'plots', 'MLmodel'), 'flavors: {}\n');
}

/** An MLflow 3 file store at `root`. */
function fileStore(root: string): void {
  const uri = `file://${root}`;
  write(join(root, '0', 'meta.yaml'), stringify({ artifact_location: `${uri}/0`, experiment_id: '0', lifecycle_stage: 'active', name: 'Default' }));
  write(join(root, '1', 'meta.yaml'), stringify({ artifact_location: `${uri}/1`, experiment_id: '1', lifecycle_stage: 'active', name: 'exp' }));
  write(
    join(root, '1', RUN, 'meta.yaml'),
    stringify({ artifact_uri: `${uri}/1/${RUN}/artifacts`, experiment_id: '1', lifecycle_stage: 'active', run_id: RUN, run_name: 'r', status: 3 }),
  );
  const logged = (id: string, name: string, created: number, stage = 'active') =>
    write(
      join(root, '1', 'models', id, 'meta.yaml'),
      stringify({
        artifact_location: `${uri}/1/models/${id}/artifacts`,
        creation_timestamp: created,
        experiment_id: '1',
        last_updated_timestamp: created,
        lifecycle_stage: stage,
        model_id: id,
        model_type: null,
        name,
        source_run_id: RUN,
        status: 2,
        status_message: null,
      }),
    );
  logged(M1, 'model', 1000);
  logged(M2, 'other', 2000);
  logged(M_DELETED, 'model', 3000, 'deleted');
  const version = (v: number, fields: Record<string, unknown>) =>
    write(
      join(root, 'models', 'iris3', `version-${v}`, 'meta.yaml'),
      stringify({ name: 'iris3', version: v, run_id: RUN, status: 'READY', description: null, ...fields }),
    );
  write(join(root, 'models', 'iris3', 'meta.yaml'), stringify({ name: 'iris3', description: null }));
  version(1, { current_stage: 'None', source: `models:/${M1}`, storage_location: `${uri}/1/models/${M1}/artifacts`, model_id: M1 });
  version(2, { current_stage: 'Deleted_Internal', source: 'REDACTED-SOURCE-PATH' });
  // Registered without a storage_location: the download URI is the models:/ source itself.
  version(3, { current_stage: 'Staging', source: `models:/${M2}`, model_id: M2 });
  write(join(root, 'models', 'iris3', 'version-3', 'tags', 'team', 'owner'), 'ml-platform');
  write(join(root, 'models', 'iris3', 'aliases', 'prod'), '3');
  artifacts(root);
}

/** The same registry in an MLflow 3 SQLite database, artifacts under `<dir>/mlruns`. */
function sqliteStore(dir: string): void {
  const root = join(dir, 'mlruns');
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'mlflow.db'));
  db.exec(`
    CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);
    INSERT INTO alembic_version VALUES ('bf29a5ff90ea');
    CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name VARCHAR(256), artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32));
    CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, experiment_id INTEGER, artifact_uri VARCHAR(200), lifecycle_stage VARCHAR(20));
    CREATE TABLE registered_models (name VARCHAR(256) PRIMARY KEY, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000));
    CREATE TABLE model_versions (name VARCHAR(256), version INTEGER, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),
      user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20), status_message VARCHAR(500),
      run_link VARCHAR(500), storage_location VARCHAR(500), PRIMARY KEY (name, version));
    CREATE TABLE model_version_tags (key VARCHAR(250), value TEXT, name VARCHAR(256), version INTEGER, PRIMARY KEY (key, name, version));
    CREATE TABLE registered_model_aliases (alias VARCHAR(256), version INTEGER, name VARCHAR(256), PRIMARY KEY (name, alias));
    CREATE TABLE logged_models (model_id VARCHAR(36) PRIMARY KEY, experiment_id INTEGER, name VARCHAR(500), artifact_location VARCHAR(1000),
      creation_timestamp_ms BIGINT, last_updated_timestamp_ms BIGINT, status INTEGER, lifecycle_stage VARCHAR(32), model_type VARCHAR(500),
      source_run_id VARCHAR(32), status_message VARCHAR(1000));
  `);
  db.prepare('INSERT INTO experiments VALUES (?, ?, ?, ?)').run(1, 'exp', `${root}/1`, 'active');
  db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?)').run(RUN, 1, `${root}/1/${RUN}/artifacts`, 'active');
  const logged = db.prepare('INSERT INTO logged_models VALUES (?, 1, ?, ?, ?, ?, 2, ?, NULL, ?, NULL)');
  logged.run(M1, 'model', `${root}/1/models/${M1}/artifacts`, 1000, 1000, 'active', RUN);
  logged.run(M2, 'other', `${root}/1/models/${M2}/artifacts`, 2000, 2000, 'active', RUN);
  logged.run(M_DELETED, 'model', `${root}/1/models/${M_DELETED}/artifacts`, 3000, 3000, 'deleted', RUN);
  db.prepare("INSERT INTO registered_models VALUES ('iris3', 1, 1, NULL)").run();
  const version = db.prepare("INSERT INTO model_versions VALUES ('iris3', ?, 1, 1, NULL, NULL, ?, ?, ?, 'READY', NULL, NULL, ?)");
  version.run(1, 'None', `models:/${M1}`, RUN, `${root}/1/models/${M1}/artifacts`);
  version.run(2, 'Deleted_Internal', 'REDACTED-SOURCE-PATH', 'REDACTED-RUN-ID', null);
  version.run(3, 'Staging', `models:/${M2}`, RUN, null);
  db.prepare("INSERT INTO model_version_tags VALUES ('team/owner', 'ml-platform', 'iris3', 3)").run();
  db.prepare("INSERT INTO registered_model_aliases VALUES ('prod', 3, 'iris3')").run();
  db.close();
  artifacts(root);
}

const backends = [
  { store: 'file store', build: (dir: string) => fileStore(join(dir, 'mlruns')), uri: (dir: string) => `file://${dir}/mlruns`, notFound: (id: string) => `Model '${id}' not found` },
  {
    store: 'SQLite',
    build: sqliteStore,
    uri: (dir: string) => `sqlite:///${dir}/mlflow.db`,
    notFound: (id: string) => `Logged model with ID '${id}' not found.`,
  },
];

describe.each(backends)('MLflow 3 $store', ({ build, uri, notFound }) => {
  const tmp = tempDir('mlflow3');
  const log = captureLogger();
  const dir = join(tmp.dir, 'store');
  beforeAll(() => build(dir));
  afterAll(() => tmp.cleanup());
  const opts = () => options(uri(dir), join(tmp.dir, 'cache'), log.logger);
  const modelIdIn = (path: string) => /model_id: (\S+)/.exec(readFileSync(join(path, 'MLmodel'), 'utf8'))?.[1];

  it('models:/m-<id> is the logged model, read in place', async () => {
    const model = await resolveModel(`models:/${M1}`, opts());
    expect(model).toMatchObject({ name: null, version: null, stage: null, modelId: M1, runId: RUN });
    expect(model.localPath).toBe(join(dir, 'mlruns', '1', 'models', M1, 'artifacts'));
    expect(modelIdIn(model.localPath)).toBe(M1);
  });

  it('a missing or deleted logged model is RESOURCE_DOES_NOT_EXIST', async () => {
    for (const id of ['m-00000000000000000000000000000000', M_DELETED]) {
      const err = (await resolveModelVersion(`models:/${id}`, opts()).catch((e: unknown) => e)) as MlflowError;
      expect([err.errorCode, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', notFound(id)]);
    }
  });

  it('a version registered from a logged model reads its storage location', async () => {
    const model = await resolveModel('models:/iris3/1', opts());
    expect(model).toMatchObject({ name: 'iris3', version: '1', source: `models:/${M1}`, modelId: M1 });
    expect(modelIdIn(model.localPath)).toBe(M1);
  });

  it('without a storage location, the models:/m-<id> source is followed', async () => {
    const model = await resolveModel('models:/iris3@prod', opts());
    expect(model).toMatchObject({ version: '3', stage: 'Staging', aliases: ['prod'], modelId: M2 });
    expect(modelIdIn(model.localPath)).toBe(M2);
  });

  it('a soft-deleted version does not exist, and /latest skips it', async () => {
    const err = (await resolveModelVersion('models:/iris3/2', opts()).catch((e: unknown) => e)) as MlflowError;
    expect([err.errorCode, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 'Model Version (name=iris3, version=2) not found']);
    expect((await resolveModelVersion('models:/iris3/latest', opts())).version).toBe('3');
  });

  it('@latest is the latest of the first stage seen, not the highest version (MLflow quirk)', async () => {
    expect((await resolveModelVersion('models:/iris3@latest', opts())).version).toBe('1');
    expect((await resolveModelVersion('models:/iris3@LATEST', opts())).version).toBe('1');
  });

  it('runs:/<run>/<name> falls back to the run\'s logged model of that name', async () => {
    const model = await resolveModel(`runs:/${RUN}/model`, opts());
    expect(model).toMatchObject({ runId: RUN, modelId: M1 });
    expect(modelIdIn(model.localPath)).toBe(M1);
  });

  it('runs:/<run>/<path> that exists in the run is the run\'s own artifact', async () => {
    const model = await resolveModel(`runs:/${RUN}/plots`, opts());
    expect(model).toMatchObject({ runId: RUN, modelId: null });
    expect(model.localPath).toBe(join(dir, 'mlruns', '1', RUN, 'artifacts', 'plots'));
  });

  it('lists live versions, highest first, with tags', async () => {
    const versions = await listModelVersions('iris3', opts());
    expect(versions.map((v) => v.version)).toEqual(['3', '1']);
    expect(versions[0]!.tags).toEqual({ 'team/owner': 'ml-platform' });
  });
});

describe('a moved MLflow 3 file store', () => {
  const tmp = tempDir('moved');
  const log = captureLogger();
  afterAll(() => tmp.cleanup());

  it('finds logged models and run artifacts under the new root, and logs it', async () => {
    fileStore(join(tmp.dir, 'old', 'mlruns'));
    renameSync(join(tmp.dir, 'old'), join(tmp.dir, 'new'));
    const opts = options(`file:${tmp.dir}/new/mlruns`, join(tmp.dir, 'cache'), log.logger);
    expect((await resolveModel(`models:/${M1}`, opts)).localPath).toBe(join(tmp.dir, 'new', 'mlruns', '1', 'models', M1, 'artifacts'));
    expect((await resolveModel(`runs:/${RUN}/model`, opts)).modelId).toBe(M1);
    expect((await resolveModel('models:/iris3/1', opts)).localPath).toBe(join(tmp.dir, 'new', 'mlruns', '1', 'models', M1, 'artifacts'));
    const warnings = log.records().filter((r) => r.level === 40);
    expect(warnings.map((w) => w.stored)).toContain(`file://${tmp.dir}/old/mlruns/1/models/${M1}/artifacts`);
  });
});
