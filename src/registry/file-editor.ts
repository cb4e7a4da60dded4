/**
 * Registry writes to MLflow's file store, as its FileStore makes them
 * (mlflow/store/model_registry/file_store.py): a tag is the file
 * `models/<name>/tags/<key>` holding the value, an alias the file
 * `models/<name>/aliases/<alias>` holding the version, and every write then rewrites the
 * registered model's meta.yaml with a new last_updated_timestamp (and, as
 * _save_registered_model_as_meta_file does, its `aliases` as read back). Files are
 * written to a temporary name beside the model directory and renamed into place, so a
 * reader never sees half a value.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { parseDocument } from 'yaml';
import { MlflowError } from '../errors.js';
import { validateTag, type RegistryEditor } from './editor.js';
import { FileStore, readKeyFiles } from './file-store.js';

export class FileEditor implements RegistryEditor {
  private readonly store: FileStore;

  constructor(
    readonly uri: string,
    root: string,
    cwd: string,
    logger: Logger,
  ) {
    this.store = new FileStore(uri, root, cwd, logger);
  }

  async getRegisteredModelTags(name: string): Promise<Record<string, string>> {
    return readKeyFiles(join(await this.store.modelDir(name), 'tags'));
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateTag(key, value);
    const dir = await this.store.modelDir(name);
    await writeAtomically(dir, join(dir, 'tags', key), value);
    await touch(dir);
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateTag(key, '');
    const dir = await this.store.modelDir(name);
    try {
      await rm(join(dir, 'tags', key));
    } catch {
      return; // as MLflow: nothing to delete, nothing to update
    }
    await touch(dir);
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    const dir = await this.store.modelDir(name);
    await this.store.getModelVersion(name, version); // RESOURCE_DOES_NOT_EXIST when absent, as MLflow
    await writeAtomically(dir, join(dir, 'aliases', alias), version);
    await touch(dir);
  }

  async checkWritable(name: string): Promise<void> {
    const dir = await this.store.modelDir(name);
    for (const path of [dir, join(dir, 'meta.yaml')]) {
      try {
        accessSync(path, constants.W_OK);
      } catch {
        throw new MlflowError('PERMISSION_DENIED', `cannot write ${path}: a rollout stores its state in ${this.uri} and promotes by setting an alias there; make it writable, or serve through a tracking server`);
      }
    }
  }
}

async function writeAtomically(modelDir: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(modelDir, `.flowgate-${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temp, text);
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** _update_registered_model_last_updated_time: meta.yaml with the new time and the aliases as stored. */
async function touch(modelDir: string): Promise<void> {
  const metaPath = join(modelDir, 'meta.yaml');
  const doc = parseDocument(await readFile(metaPath, 'utf8'));
  doc.set('last_updated_timestamp', Date.now());
  const aliases = await readKeyFiles(join(modelDir, 'aliases'));
  if (Object.keys(aliases).length > 0 || doc.has('aliases')) {
    doc.set('aliases', doc.createNode(Object.fromEntries(Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b)))));
  }
  await writeAtomically(modelDir, metaPath, doc.toString({ singleQuote: true }));
}
