/**
 * Writes to the model registry, for rollouts: registered-model tags (the rollout's state,
 * shared by every replica) and aliases (a promotion). Each store is written the way MLflow
 * itself writes it, so MLflow's clients, UI and every other consumer read the result:
 * a tracking server through its REST API (rest-editor.ts), a file store as its FileStore
 * writes files (file-editor.ts), a SQLite file as its SqlAlchemyStore writes rows
 * (sqlite-editor.ts).
 */
import { trackingServerClient } from '../artifacts/index.js';
import { FileEditor } from './file-editor.js';
import type { RegistryOptions } from './options.js';
import { RestEditor } from './rest-editor.js';
import { SqliteEditor } from './sqlite-editor.js';
import { defaultTrackingUri, parseStoreUri } from './store-uri.js';

export interface RegistryEditor {
  readonly uri: string;
  /** The registered model's tags (RESOURCE_DOES_NOT_EXIST when it is not registered). */
  getRegisteredModelTags(name: string): Promise<Record<string, string>>;
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  /** Removes a tag; a missing tag is not an error (as MLflow). */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  /** Points `alias` at `version` (which must exist); setting it again is harmless. */
  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void>;
  /**
   * Throws a clear error when this process cannot write the registered model (a read-only
   * file or directory). A tracking server is only known to refuse when it is written.
   */
  checkWritable(name: string): Promise<void>;
}

/** The editor of the registry store (MLFLOW_REGISTRY_URI, else the tracking URI). */
export function openRegistryEditor(opts: RegistryOptions): RegistryEditor {
  const uri = opts.registryUri ?? opts.trackingUri ?? defaultTrackingUri(opts.cwd);
  const parsed = parseStoreUri(uri, opts.cwd);
  switch (parsed.kind) {
    case 'file':
      return new FileEditor(uri, parsed.root, opts.cwd, opts.logger);
    case 'sqlite':
      return new SqliteEditor(uri, parsed.path);
    case 'rest':
      return new RestEditor(trackingServerClient(parsed.baseUrl, opts.http, opts.logger));
  }
}

/** MLflow's _validate_tag_name and length limits, for the keys and values flowgate writes. */
export function validateTag(key: string, value: string): void {
  if (!/^[\w\-./ ]+$/.test(key) || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`invalid registered model tag key '${key}'`);
  }
  if (key.length > 250) throw new Error(`registered model tag key '${key}' is longer than 250 characters`);
  if (value.length > 5000) throw new Error(`registered model tag '${key}': the value is longer than 5000 characters`);
}
