/**
 * The last version a model URI resolved to, kept beside the cache, so that a restart while
 * the tracking server is unreachable can still serve the model it already downloaded.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelVersionRef } from './resolve.js';

export interface LastKnown extends ModelVersionRef {
  localPath: string;
}

function recordPath(cacheDir: string, key: string): string {
  return join(cacheDir, 'refs', `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
}

export async function saveLastKnown(cacheDir: string, key: string, model: LastKnown): Promise<void> {
  const path = recordPath(cacheDir, key);
  await mkdir(join(cacheDir, 'refs'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(model));
  await rename(temp, path);
}

/** The recorded model, if there is one and its files are still in the cache. */
export async function loadLastKnown(cacheDir: string, key: string): Promise<LastKnown | null> {
  try {
    const model = JSON.parse(await readFile(recordPath(cacheDir, key), 'utf8')) as LastKnown;
    return typeof model.localPath === 'string' && existsSync(join(model.localPath, 'MLmodel')) ? model : null;
  } catch {
    return null;
  }
}
