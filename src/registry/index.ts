/**
 * The registry layer's public API: what a model URI points at (cheap, every poll) and
 * the local directory holding its files (downloaded into the cache when remote).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cachePath, fetchArtifactDir, fileUriToPath, parseArtifactUri, readArtifactFile, type ArtifactOptions, type CacheEntry, type ProgressCallback } from '../artifacts/index.js';
import { MlflowError } from '../errors.js';
import type { RegistryOptions } from './options.js';
import { loadLastKnown, saveLastKnown } from './last-known.js';
import { openStores, resolveStoreUri, type ModelVersionRef } from './resolve.js';
import type { ModelVersion } from './types.js';
import { uriScheme } from './uri.js';

export interface ResolvedModel extends ModelVersionRef {
  /** Local directory holding MLmodel. */
  localPath: string;
}

/**
 * What `uri` points at now: `models:/name/<version|stage|latest>`, `models:/name@alias`,
 * `models:/m-<id>`, `runs:/<run>/<path>`, or a plain location (directory, file:, s3:,
 * mlflow-artifacts:). Reads the registry, never downloads model files.
 */
export async function resolveModelVersion(uri: string, opts: RegistryOptions): Promise<ModelVersionRef> {
  const scheme = uriScheme(uri);
  if (scheme === 'models' || scheme === 'runs') return resolveStoreUri(uri, openStores(opts));
  const artifactUri = scheme === null || scheme === 'file' ? fileUriToPath(uri, opts.cwd) : uri;
  return { uri, name: null, version: null, stage: null, aliases: [], source: uri, artifactUri, runId: null, modelId: null, trackingUri: opts.trackingUri };
}

function cacheEntry(ref: ModelVersionRef): CacheEntry {
  const label =
    ref.name !== null && ref.version !== null
      ? `${ref.name}-v${ref.version}`
      : (ref.modelId ?? (ref.runId !== null ? `run-${ref.runId}` : basename(ref.artifactUri.replace(/\/+$/, '')) || 'model'));
  // Registered versions and run artifacts never change in place, so the location names the content.
  return { label, identity: JSON.stringify([ref.trackingUri, ref.artifactUri]) };
}

function artifactOptions(ref: ModelVersionRef, opts: RegistryOptions): ArtifactOptions {
  return { trackingUri: ref.trackingUri, cwd: opts.cwd, cacheDir: opts.cacheDir, http: opts.http, s3: opts.s3, logger: opts.logger };
}

/** The local directory holding the model's MLmodel: a local store's directory as is, else the cache. */
export async function fetchModelFiles(ref: ModelVersionRef, opts: RegistryOptions, onProgress?: ProgressCallback): Promise<string> {
  const dir = await fetchArtifactDir(ref.artifactUri, cacheEntry(ref), artifactOptions(ref, opts), onProgress);
  if (!existsSync(join(dir, 'MLmodel'))) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find an "MLmodel" configuration file at "${dir}" (resolved from ${ref.uri})`);
  }
  return dir;
}

/** The cache directory a remote version is (or will be) downloaded into; null when it is read in place. */
export function modelCachePath(ref: ModelVersionRef, opts: RegistryOptions): string | null {
  return parseArtifactUri(ref.artifactUri, ref.trackingUri, opts.cwd).kind === 'local' ? null : cachePath(opts.cacheDir, cacheEntry(ref));
}

function lastKnownKey(uri: string, opts: RegistryOptions): string {
  return JSON.stringify([opts.trackingUri, opts.registryUri, uri]);
}

/**
 * When the registry is unreachable (`err`), the version `uri` resolved to last time, if its
 * files are still in the cache (logged with a warning); null otherwise.
 */
export async function lastKnownModel(uri: string, opts: RegistryOptions, err: unknown): Promise<ResolvedModel | null> {
  if (!(err instanceof MlflowError && err.errorCode === 'TEMPORARILY_UNAVAILABLE')) return null;
  const last = await loadLastKnown(opts.cacheDir, lastKnownKey(uri, opts));
  if (last === null) return null;
  opts.logger.warn(
    { uri, version: last.version, localPath: last.localPath, error: (err as Error).message },
    'registry unreachable; serving the version this URI resolved to last time, from the cache',
  );
  return last;
}

/** Records what `uri` resolved to, for lastKnownModel (only for downloaded versions). */
export async function rememberModel(uri: string, opts: RegistryOptions, model: ResolvedModel): Promise<void> {
  if (!model.localPath.startsWith(opts.cacheDir)) return;
  await saveLastKnown(opts.cacheDir, lastKnownKey(uri, opts), model).catch((err: unknown) => {
    opts.logger.warn({ error: (err as Error).message }, 'could not record the resolved version in the cache');
  });
}

/** One small file of the model (MLmodel, an input example), read without downloading the rest; null when absent. */
export async function readModelFile(ref: ModelVersionRef, relativePath: string, opts: RegistryOptions): Promise<Buffer | null> {
  return readArtifactFile(ref.artifactUri, relativePath, artifactOptions(ref, opts));
}

/** The model's MLmodel text, read alone. */
export async function readModelMLmodel(ref: ModelVersionRef, opts: RegistryOptions): Promise<string> {
  const text = await readModelFile(ref, 'MLmodel', opts);
  if (text === null) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find an "MLmodel" configuration file at "${ref.artifactUri}" (resolved from ${ref.uri})`);
  }
  return text.toString('utf8');
}

/**
 * resolveModelVersion + fetchModelFiles. At startup a tracking server may be briefly down:
 * then the version this URI resolved to last time is served from the cache, with a warning.
 */
export async function resolveModel(uri: string, opts: RegistryOptions, onProgress?: ProgressCallback): Promise<ResolvedModel> {
  let ref: ModelVersionRef;
  try {
    ref = await resolveModelVersion(uri, opts);
  } catch (err) {
    const last = await lastKnownModel(uri, opts, err);
    if (last === null) throw err;
    return last;
  }
  const model = { ...ref, localPath: await fetchModelFiles(ref, opts, onProgress) };
  await rememberModel(uri, opts, model);
  return model;
}

/** Every live version of a registered model, highest first (for `inspect` and operators). */
export async function listModelVersions(name: string, opts: RegistryOptions): Promise<ModelVersion[]> {
  return openStores(opts).registry.searchModelVersions(name);
}

export type { ModelVersionRef } from './resolve.js';
export type { ModelVersion } from './types.js';
export type { RegistryOptions, RegistryOverrides } from './options.js';
export { registryOptionsFromEnv, defaultCacheDir } from './options.js';
export type { DownloadEvent, ProgressCallback, ProgressReporterOptions } from '../artifacts/index.js';
export { createProgressReporter } from '../artifacts/index.js';
