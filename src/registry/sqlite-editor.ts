/**
 * Registry writes to MLflow's SQL store in a SQLite file, as its SqlAlchemyStore makes them
 * (mlflow/store/model_registry/sqlalchemy_store.py): set_registered_model_tag merges a row
 * of registered_model_tags (key, value, name), delete_registered_model_tag deletes it,
 * set_registered_model_alias merges a row of registered_model_aliases (alias, version,
 * name) after checking the version exists; none of them touches last_updated_time. The
 * file is opened per write with a busy timeout: an MLflow server may be writing it too.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite-db.js';
import { MlflowError, notFound } from '../errors.js';
import { validateTag, type RegistryEditor } from './editor.js';

export class SqliteEditor implements RegistryEditor {
  constructor(
    readonly uri: string,
    private readonly path: string,
  ) {}

  private withDb<T>(readonly: boolean, fn: (db: Database.Database) => T): T {
    if (!existsSync(this.path)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `MLflow database ${this.path} (from ${this.uri}) does not exist.`);
    const db = openSqlite(this.path, { readonly, fileMustExist: true, timeout: 10_000 });
    try {
      return readonly ? fn(db) : db.transaction(() => fn(db)).immediate();
    } finally {
      db.close();
    }
  }

  private assertModel(db: Database.Database, name: string): void {
    if (db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(name) === undefined) throw notFound(`Registered Model with name=${name} not found`);
  }

  async getRegisteredModelTags(name: string): Promise<Record<string, string>> {
    return this.withDb(true, (db) => {
      this.assertModel(db, name);
      const rows = db.prepare('SELECT key, value FROM registered_model_tags WHERE name = ?').all(name) as { key: string; value: string | null }[];
      return Object.fromEntries(rows.map((r) => [r.key, r.value ?? '']));
    });
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateTag(key, value);
    this.withDb(false, (db) => {
      this.assertModel(db, name);
      db.prepare('INSERT INTO registered_model_tags (key, value, name) VALUES (?, ?, ?) ON CONFLICT (key, name) DO UPDATE SET value = excluded.value').run(key, value, name);
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    this.withDb(false, (db) => {
      this.assertModel(db, name);
      db.prepare('DELETE FROM registered_model_tags WHERE name = ? AND key = ?').run(name, key);
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    this.withDb(false, (db) => {
      const found = db.prepare("SELECT 1 FROM model_versions WHERE name = ? AND version = ? AND current_stage != 'Deleted_Internal'").get(name, Number(version));
      if (found === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
      db.prepare('INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version').run(
        alias,
        Number(version),
        name,
      );
    });
  }

  async checkWritable(name: string): Promise<void> {
    await this.getRegisteredModelTags(name);
    for (const path of [this.path, dirname(this.path)]) {
      try {
        accessSync(path, constants.W_OK);
      } catch {
        throw new MlflowError('PERMISSION_DENIED', `cannot write ${path}: a rollout stores its state in ${this.uri} and promotes by setting an alias there; make it writable, or serve through a tracking server`);
      }
    }
  }
}
