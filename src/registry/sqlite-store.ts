/**
 * MLflow's SQL store in a SQLite file (spec §5.6), opened read-only. The schema changed
 * across MLflow 1.x–3.x (storage_location, aliases, logged models came later), so the
 * columns and tables read are checked first; look-ups and messages follow
 * mlflow/store/model_registry/sqlalchemy_store.py and tracking/sqlalchemy_store.py.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite-db.js';
import type { Logger } from 'pino';
import { joinArtifactUri } from '../artifacts/location.js';
import { MlflowError, notFound } from '../errors.js';
import { latestPerStage, latestVersionAlias } from './latest.js';
import { Relocator } from './relocate.js';
import type { LoggedModel, ModelVersion, RunInfo, Store } from './types.js';
import { ALL_STAGES, canonicalStage, STAGE_DELETED_INTERNAL, validateAlias, validateRunId } from './uri.js';

type Db = Database.Database;

interface VersionRow {
  name: string;
  version: number;
  current_stage: string | null;
  description: string | null;
  source: string | null;
  storage_location: string | null;
  run_id: string | null;
  status: string | null;
}

/** What this database's schema revision has, among the optional parts we read. */
interface Schema {
  storageLocation: boolean;
  aliases: boolean;
  versionTags: boolean;
  loggedModels: boolean;
}

function columns(db: Db, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
}

export class SqliteStore implements Store {
  readonly serverUri = null;
  private readonly relocator: Relocator;

  constructor(
    readonly uri: string,
    private readonly path: string,
    cwd: string,
    logger: Logger,
  ) {
    this.relocator = new Relocator([dirname(path)], cwd, logger, uri);
  }

  localize(location: string): string {
    return this.relocator.localize(location);
  }

  /** Opens the file read-only for one look-up: a live MLflow server may be writing it. */
  private withDb<T>(fn: (db: Db, schema: Schema) => T): T {
    if (!existsSync(this.path)) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `MLflow database ${this.path} (from ${this.uri}) does not exist.`);
    }
    const db = openSqlite(this.path, { readonly: true, fileMustExist: true });
    try {
      return fn(db, this.schema(db));
    } finally {
      db.close();
    }
  }

  private schema(db: Db): Schema {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    if (!tables.has('alembic_version')) {
      throw new MlflowError('INVALID_STATE', `${this.path} is not an MLflow database (it has no alembic_version table).`);
    }
    if (!tables.has('registered_models') || !tables.has('model_versions')) {
      const row = db.prepare('SELECT version_num FROM alembic_version').get() as { version_num: string } | undefined;
      throw new MlflowError(
        'INVALID_STATE',
        `MLflow database ${this.path} (schema revision ${row?.version_num ?? 'unknown'}) has no model registry tables; ` +
          'it was written by an MLflow older than 1.4. Run `mlflow db upgrade` on a copy of it.',
      );
    }
    return {
      storageLocation: columns(db, 'model_versions').has('storage_location'),
      aliases: tables.has('registered_model_aliases'),
      versionTags: tables.has('model_version_tags'),
      loggedModels: tables.has('logged_models'),
    };
  }

  private assertModel(db: Db, name: string): void {
    if (name === '') throw new MlflowError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
    if (db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(name) === undefined) {
      throw notFound(`Registered Model with name=${name} not found`);
    }
  }

  private versionRows(db: Db, schema: Schema, name: string, version?: string): VersionRow[] {
    const storage = schema.storageLocation ? 'storage_location' : 'NULL AS storage_location';
    const sql =
      `SELECT name, version, current_stage, description, source, ${storage}, run_id, status FROM model_versions ` +
      `WHERE name = ? AND current_stage IS NOT ? ${version === undefined ? '' : 'AND version = ?'} ORDER BY version`;
    const params: unknown[] = [name, STAGE_DELETED_INTERNAL];
    if (version !== undefined) params.push(Number(version));
    return db.prepare(sql).all(...params) as VersionRow[];
  }

  private toModelVersion(db: Db, schema: Schema, row: VersionRow, aliases: { alias: string; version: number }[]): ModelVersion {
    const tags: Record<string, string> = {};
    if (schema.versionTags) {
      for (const t of db.prepare('SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?').all(row.name, row.version) as {
        key: string;
        value: string;
      }[]) {
        tags[t.key] = t.value;
      }
    }
    return {
      name: row.name,
      version: String(row.version),
      currentStage: row.current_stage ?? 'None',
      description: row.description,
      source: row.source,
      runId: row.run_id,
      status: row.status,
      aliases: aliases.filter((a) => a.version === row.version).map((a) => a.alias).sort(),
      tags,
      // MLflow 3 stores no model_id column; a version registered from a logged model has source models:/m-<id>.
      modelId: /^models:\/(m-[^/@]+)$/.exec(row.source ?? '')?.[1] ?? null,
    };
  }

  private aliases(db: Db, schema: Schema, name: string): { alias: string; version: number }[] {
    if (!schema.aliases) return [];
    return db.prepare('SELECT alias, version FROM registered_model_aliases WHERE name = ?').all(name) as { alias: string; version: number }[];
  }

  private oneVersion(db: Db, schema: Schema, name: string, version: string): VersionRow {
    const [row] = this.versionRows(db, schema, name, version);
    if (row === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return row;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.withDb((db, schema) => {
      const row = this.oneVersion(db, schema, name, version);
      return this.toModelVersion(db, schema, row, this.aliases(db, schema, name));
    });
  }

  async getLatestVersions(name: string, stages: string[] | null): Promise<ModelVersion[]> {
    return this.withDb((db, schema) => {
      this.assertModel(db, name);
      const wanted = new Set((stages === null || stages.length === 0 ? [...ALL_STAGES] : stages).map(canonicalStage));
      const rows = this.versionRows(db, schema, name);
      const latest = latestPerStage(rows.map((r) => ({ stage: r.current_stage ?? 'None', version: r.version, item: r })));
      const aliases = this.aliases(db, schema, name);
      return latest.filter((r) => wanted.has(r.current_stage ?? 'None')).map((r) => this.toModelVersion(db, schema, r, aliases));
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateAlias(alias);
    if (alias.toLowerCase() === 'latest') return latestVersionAlias(this, name);
    return this.withDb((db, schema) => {
      this.assertModel(db, name);
      const hit = this.aliases(db, schema, name).find((a) => a.alias === alias);
      if (hit === undefined) throw new MlflowError('INVALID_PARAMETER_VALUE', `Registered model alias ${alias} not found.`);
      const row = this.oneVersion(db, schema, name, String(hit.version));
      return this.toModelVersion(db, schema, row, this.aliases(db, schema, name));
    });
  }

  async getDownloadUri(name: string, version: string): Promise<string> {
    return this.withDb((db, schema) => {
      const row = this.oneVersion(db, schema, name, version);
      const uri = row.storage_location || row.source;
      if (!uri) throw new MlflowError('INVALID_STATE', `Model Version (name=${name}, version=${version}) has no source`);
      return uri;
    });
  }

  async searchModelVersions(name: string): Promise<ModelVersion[]> {
    return this.withDb((db, schema) => {
      const aliases = this.aliases(db, schema, name);
      return this.versionRows(db, schema, name)
        .reverse()
        .map((r) => this.toModelVersion(db, schema, r, aliases));
    });
  }

  async getRun(runId: string): Promise<RunInfo> {
    validateRunId(runId);
    return this.withDb((db) => {
      const row = db.prepare('SELECT run_uuid, experiment_id, artifact_uri FROM runs WHERE run_uuid = ?').get(runId) as
        | { run_uuid: string; experiment_id: number | string; artifact_uri: string | null }
        | undefined;
      if (row === undefined) throw notFound(`Run with id=${runId} not found`);
      return { runId: row.run_uuid, experimentId: String(row.experiment_id), artifactUri: row.artifact_uri ?? '' };
    });
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.withDb((db, schema) => {
      const row = schema.loggedModels
        ? (db
            .prepare(
              "SELECT model_id, experiment_id, name, artifact_location, source_run_id FROM logged_models WHERE model_id = ? AND lifecycle_stage IS NOT 'deleted'",
            )
            .get(modelId) as LoggedModelRow | undefined)
        : undefined;
      if (row === undefined) throw notFound(`Logged model with ID '${modelId}' not found.`);
      return toLoggedModel(row);
    });
  }

  async findLoggedModel(experimentId: string, name: string, runId: string): Promise<LoggedModel | null> {
    return this.withDb((db, schema) => {
      if (!schema.loggedModels) return null;
      const row = db
        .prepare(
          'SELECT model_id, experiment_id, name, artifact_location, source_run_id FROM logged_models ' +
            "WHERE experiment_id = ? AND name = ? AND source_run_id = ? AND lifecycle_stage IS NOT 'deleted' " +
            'ORDER BY creation_timestamp_ms DESC LIMIT 1',
        )
        .get(Number(experimentId), name, runId) as LoggedModelRow | undefined;
      return row === undefined ? null : toLoggedModel(row);
    });
  }

  async hasRunArtifacts(run: RunInfo, path: string): Promise<boolean> {
    return this.relocator.hasLocal(this.runArtifactUri(run, path));
  }

  runArtifactUri(run: RunInfo, path: string): string {
    return joinArtifactUri(run.artifactUri, path);
  }
}

interface LoggedModelRow {
  model_id: string;
  experiment_id: number | string;
  name: string;
  artifact_location: string;
  source_run_id: string | null;
}

function toLoggedModel(row: LoggedModelRow): LoggedModel {
  return {
    modelId: row.model_id,
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    sourceRunId: row.source_run_id,
  };
}
