/**
 * The `models:/` and `runs:/` URI grammars (spec §5.1), and registry stage names.
 * Messages are MLflow's own, since users grep for them.
 */
import { MlflowError } from '../errors.js';

export type ModelsUri =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'latest'; name: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'logged-model'; modelId: string };

export const ALL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export const STAGE_DELETED_INTERNAL = 'Deleted_Internal';

/**
 * The message MLflow 2.x/3.x raises. MLflow raises it as a plain MlflowException (an
 * INTERNAL_ERROR, HTTP 500); it is the caller's mistake, so flowgate says INVALID_PARAMETER_VALUE.
 */
function improperModelsUri(uri: string, hint = ''): MlflowError {
  return new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or ` +
      `'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where ` +
      `alias is a registered model alias. Only one of suffix or alias can be defined at a time.${hint}`,
  );
}

/** MLflow 3 logged model ids: `m-` and a uuid's hex digits. */
const LOGGED_MODEL_ID = /^m-[0-9a-f]+$/;

/** `scheme:` prefix, lower-cased, or null for a plain path (a Windows drive letter is a path, not a scheme). */
export function uriScheme(uri: string): string | null {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  if (match === null || match[1]!.length === 1) return null;
  return match[1]!.toLowerCase();
}

/** The path part of `scheme:/path` or `scheme://netloc/path`, as urllib.parse.urlparse sees it. */
function uriPath(uri: string): { netloc: string; path: string } {
  const rest = uri.slice(uri.indexOf(':') + 1);
  if (!rest.startsWith('//')) return { netloc: '', path: rest };
  const slash = rest.indexOf('/', 2);
  return slash < 0 ? { netloc: rest.slice(2), path: '' } : { netloc: rest.slice(2, slash), path: rest.slice(slash) };
}

export function parseModelsUri(uri: string): ModelsUri {
  if (uriScheme(uri) !== 'models') throw improperModelsUri(uri);
  const { netloc, path } = uriPath(uri);
  if (netloc !== '') {
    throw new MlflowError(
      'NOT_IMPLEMENTED',
      `models:// URIs with a profile (${uri}) name a Databricks registry, which flowgate does not support.`,
    );
  }
  if (!path.startsWith('/') || path.length <= 1) throw improperModelsUri(uri);
  const parts = path.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0]!.trim() === '') throw improperModelsUri(uri);
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (suffix.trim() === '') throw improperModelsUri(uri);
    if (/^[0-9]+$/.test(suffix)) return { kind: 'version', name, version: suffix.replace(/^0+(?=\d)/, '') };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    return { kind: 'stage', name, stage: suffix };
  }
  const single = parts[0]!;
  if (path.includes('@')) {
    const at = single.lastIndexOf('@');
    const alias = at < 0 ? '' : single.slice(at + 1);
    if (alias.trim() === '') throw improperModelsUri(uri);
    return { kind: 'alias', name: single.slice(0, at), alias };
  }
  if (!LOGGED_MODEL_ID.test(single)) {
    // MLflow 2 refuses a bare name; MLflow 3 would look for a logged model of that id, which no registered name is
    throw improperModelsUri(uri, ` (a bare name is not a model version: use models:/${single}/<version>, models:/${single}/latest or models:/${single}@<alias>)`);
  }
  return { kind: 'logged-model', modelId: single };
}

function improperRunsUri(uri: string): MlflowError {
  return new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
  );
}

/** `runs:/<run_id>/<path>` → run id and the run-relative artifact path ('' for the run root). */
export function parseRunsUri(uri: string): { runId: string; path: string } {
  if (uriScheme(uri) !== 'runs') throw improperRunsUri(uri);
  const { path } = uriPath(uri);
  if (!path.startsWith('/') || path.length <= 1) throw improperRunsUri(uri);
  const [runId, ...rest] = path.slice(1).split('/');
  if (runId === undefined || runId === '') throw improperRunsUri(uri);
  validateRunId(runId);
  const segments = rest.filter((p) => p !== '' && p !== '.');
  // The path is joined onto the run's artifact root (and percent-decoded on the way): it may not leave it.
  if (segments.some((p) => decodeLenient(p).split(/[\\/]/).includes('..') || p.includes('\0'))) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Refusing ${uri}: the artifact path may not leave the run's artifact root.`);
  }
  return { runId, path: segments.join('/') };
}

function decodeLenient(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function validateRunId(runId: string): void {
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(runId)} for parameter 'run_id' supplied.`);
  }
}

/** Stage names are case-insensitive; anything but the four stages is an error (get_canonical_stage). */
export function canonicalStage(stage: string): string {
  const found = ALL_STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (found === undefined) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Invalid Model Version stage: ${stage}. Value must be one of ${ALL_STAGES.join(', ')}.`,
    );
  }
  return found;
}

/** Alias names as the registry stores them (_validate_model_alias_name). */
export function validateAlias(alias: string): void {
  if (!/^[\w-]*$/.test(alias)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  if (alias.length > 255) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `'Registered model alias name' exceeds the maximum length of 255 characters`);
  }
}
