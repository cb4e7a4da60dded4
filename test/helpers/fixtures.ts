/**
 * Where the shared real-MLflow fixtures are (../shared, beside the repo), and readers
 * for their recorded HTTP exchanges.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const SHARED = resolve(REPO, '../shared/fixtures');
export const MLFLOW_REAL = join(SHARED, 'mlflow-real');
export const MLFLOW_REAL_TF = join(SHARED, 'mlflow-real-tf');
export const HAVE_SHARED = existsSync(MLFLOW_REAL);
export const SKIP_SHARED_MESSAGE = `shared MLflow fixtures not found at ${SHARED}: skipping real-MLflow replays`;

if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

export interface Exchange {
  case: string;
  request: { method: string; path: string; headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string>; body: string; json?: unknown };
}

/** The exchanges of `invocations/<name>.json`. */
export function invocationExchanges(root: string, name: string): Exchange[] {
  return (JSON.parse(readFileSync(join(root, 'invocations', `${name}.json`), 'utf8')) as { exchanges: Exchange[] }).exchanges;
}

/** Every exchange file of `serving/<dir>/` (one exchange a file). */
export function servingExchanges(dir: string): Exchange[] {
  const root = join(MLFLOW_REAL, 'serving', dir);
  return readdirSync(root)
    .filter((f) => f.endsWith('.json') && !f.startsWith('_'))
    .sort()
    .map((f) => {
      const e = JSON.parse(readFileSync(join(root, f), 'utf8')) as Exchange & { case?: string };
      return { ...e, case: e.case ?? f.replace(/\.json$/, '') };
    });
}

export function modelNames(root: string, prefix: string): string[] {
  if (!existsSync(join(root, 'models'))) return [];
  return readdirSync(join(root, 'models')).filter((n) => n.startsWith(prefix)).sort();
}

/** A TensorFlow SavedModel fixture (recorded as `saved_model` in its expected file) needs the optional tfjs-node addon. */
export function needsTfjsNode(root: string, name: string): boolean {
  const expected = join(root, 'expected', `${name}.json`);
  return existsSync(expected) && (JSON.parse(readFileSync(expected, 'utf8')) as { saved_model?: unknown }).saved_model != null;
}
