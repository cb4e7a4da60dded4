/**
 * A model directory is read as a closed world: the files its MLmodel names (pickled_model,
 * data, saved_model_dir, code paths, input examples, every flavor's file keys) and every
 * symlink in it must stay inside it. Otherwise an MLmodel with `data: ../../etc/passwd`, or
 * a symlink planted in a model directory, makes the server read (and echo in its errors)
 * any file it can reach.
 */
import { readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { MlflowError } from '../errors.js';
import type { MLmodel } from './mlmodel.js';

/**
 * Keys whose string values (or lists/maps of them) MLflow flavors read as paths relative to
 * the model directory. `artifacts.<name>.uri` (where an artifact was copied from) is not read.
 */
const PATH_KEYS = new Set([
  'data',
  'pickled_model',
  'saved_model_dir',
  'model_data',
  'model_file',
  'model_path',
  'model_code_path',
  'python_model',
  'keras_model',
  'model_binary',
  'code',
  'path',
  'env',
  'conda',
  'virtualenv',
  'artifact_path',
  'serving_input_path',
]);

/** Far more files than any real model directory holds (SavedModel variables, code packages). */
const MAX_SCAN_ENTRIES = 100_000;

function refused(modelDir: string, what: string, why: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `Refusing the model at ${modelDir}: ${what} ${why}; a model may only read files inside its own directory.`);
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Every `key: value` in `node` whose key names a path, as [dotted key, value]. */
function pathValues(node: unknown, key: string, at: string, out: [string, string][]): void {
  if (typeof node === 'string') {
    if (PATH_KEYS.has(key)) out.push([at, node]);
  } else if (Array.isArray(node)) {
    node.forEach((item, i) => pathValues(item, key, `${at}[${i}]`, out));
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'uri') continue;
      // A list or map under a path key (code paths, env files) holds paths too.
      pathValues(v, PATH_KEYS.has(key) && !PATH_KEYS.has(k) ? key : k, `${at}.${k}`, out);
    }
  }
}

/** The paths an MLmodel names: under every flavor and its input example. */
export function namedPaths(mlmodel: MLmodel): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, config] of Object.entries(mlmodel.flavors)) pathValues(config, '', `flavors.${name}`, out);
  const example = mlmodel.raw.saved_input_example_info;
  if (example !== undefined) pathValues(example, '', 'saved_input_example_info', out);
  return out;
}

/** Throws unless every path the MLmodel names and every symlink under `modelDir` stays inside it. */
export async function confineModelDir(modelDir: string, mlmodel: MLmodel): Promise<void> {
  for (const [key, value] of namedPaths(mlmodel)) {
    if (value.includes('\0')) throw refused(modelDir, `${key} (${JSON.stringify(value)})`, 'contains a NUL byte');
    if (isAbsolute(value) || /^[a-zA-Z]:[\\/]/.test(value) || value.startsWith('\\')) {
      throw refused(modelDir, `${key} (${JSON.stringify(value)})`, 'is an absolute path');
    }
    if (!isInside(modelDir, join(modelDir, value.replaceAll('\\', '/')))) {
      throw refused(modelDir, `${key} (${JSON.stringify(value)})`, 'leaves the model directory');
    }
  }
  await assertNoEscapingSymlinks(modelDir);
}

/** Every symlink under `modelDir` resolves inside it (a dangling one is refused too: it could be filled later). */
export async function assertNoEscapingSymlinks(modelDir: string): Promise<void> {
  const root = await realpath(modelDir);
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  if (entries.length > MAX_SCAN_ENTRIES) throw refused(modelDir, `the directory`, `holds more than ${MAX_SCAN_ENTRIES} entries`);
  for (const entry of entries) {
    if (!entry.isSymbolicLink()) continue;
    const link = join(entry.parentPath, entry.name);
    const shown = relative(root, link);
    let target: string;
    try {
      target = await realpath(link);
    } catch {
      throw refused(modelDir, `the symlink ${shown}`, 'points at nothing');
    }
    if (!isInside(root, target)) throw refused(modelDir, `the symlink ${shown}`, `points outside it (to ${target})`);
  }
}
