/**
 * Tracking and registry URIs (spec §5.5) → which store to open. flowgate reads file
 * stores, SQLite files and tracking servers; other SQL databases are reached through
 * the tracking server in front of them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileUriToPath, serverBaseUrl } from '../artifacts/location.js';
import { MlflowError } from '../errors.js';
import { uriScheme } from './uri.js';

export type StoreUri =
  | { kind: 'file'; uri: string; root: string }
  | { kind: 'sqlite'; uri: string; path: string }
  | { kind: 'rest'; uri: string; baseUrl: string };

const SQL_SCHEMES = ['postgresql', 'mysql', 'mssql', 'oracle'];

/** `sqlite:///rel.db` is relative to cwd, `sqlite:////abs.db` absolute (SQLAlchemy URLs). */
function sqlitePath(uri: string, cwd: string): string {
  const match = /^sqlite(?:\+[a-z0-9]+)?:\/\/\/([^?]*)/i.exec(uri);
  const file = match?.[1];
  if (file === undefined || file === '' || file === ':memory:') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Not a usable SQLite URI: ${uri}. Expected sqlite:///relative/path.db or sqlite:////absolute/path.db.`);
  }
  const path = decodeURIComponent(file);
  return isAbsolute(path) ? path : resolve(cwd, path);
}

export function parseStoreUri(uri: string, cwd: string): StoreUri {
  if (uri === 'databricks' || uri === 'databricks-uc') {
    throw new MlflowError('NOT_IMPLEMENTED', `The '${uri}' registry is not supported by flowgate.`);
  }
  const scheme = uriScheme(uri);
  if (scheme === null || scheme === 'file') return { kind: 'file', uri, root: fileUriToPath(uri, cwd) };
  if (scheme === 'sqlite' || scheme.startsWith('sqlite+')) return { kind: 'sqlite', uri, path: sqlitePath(uri, cwd) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'rest', uri, baseUrl: serverBaseUrl(uri) };
  const base = scheme.split('+')[0]!;
  if (SQL_SCHEMES.includes(base)) {
    throw new MlflowError(
      'NOT_IMPLEMENTED',
      `flowgate reads ${base} MLflow stores through the tracking server in front of them; set the tracking URI to ` +
        `that server (http://host:port) instead of the ${scheme}:// database URI.`,
    );
  }
  if (base === 'databricks' || base === 'databricks-uc' || base === 'uc') {
    throw new MlflowError('NOT_IMPLEMENTED', `The '${scheme}' registry is not supported by flowgate.`);
  }
  throw new MlflowError('INVALID_PARAMETER_VALUE', `Unsupported tracking/registry URI scheme '${scheme}:'; use a path, file:, sqlite: or http(s):.`);
}

/**
 * MLflow's default tracking URI: `./mlruns` when it already holds experiments
 * (`<digits>/meta.yaml`), else `sqlite:///mlflow.db` (MLflow PR #18497, Nov 2025; older
 * releases always defaulted to `./mlruns`, which the first branch still covers).
 */
export function defaultTrackingUri(cwd: string): string {
  const mlruns = join(cwd, 'mlruns');
  try {
    for (const entry of readdirSync(mlruns)) {
      if (/^[0-9]+$/.test(entry) && existsSync(join(mlruns, entry, 'meta.yaml'))) return `file://${mlruns}`;
    }
  } catch {
    // no ./mlruns
  }
  return `sqlite:///${join(cwd, 'mlflow.db')}`;
}
