/**
 * Artifact stores: an artifact URI in, a local directory out. Local directories are used
 * in place; everything else is downloaded once into the cache.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import { cachedDownload, type CacheEntry } from './cache.js';
import { trackingServerClient, type HttpSettings } from './http-client.js';
import { parseArtifactUri, type ArtifactLocation } from './location.js';
import { MlflowArtifactsSource } from './mlflow-artifacts.js';
import type { ProgressCallback } from './progress.js';
import { RunArtifactsSource } from './run-artifacts.js';
import { S3Source, type S3Settings } from './s3.js';
import type { ArtifactSource } from './source.js';

export interface ArtifactOptions {
  /** The tracking URI in effect: `mlflow-artifacts:` and `runs:` are read through it when it is http(s). */
  trackingUri: string | null;
  /** Base for relative paths. */
  cwd: string;
  cacheDir: string;
  http: HttpSettings;
  s3: S3Settings;
  logger: Logger;
}

function sourceFor(location: Exclude<ArtifactLocation, { kind: 'local' }>, opts: ArtifactOptions): ArtifactSource {
  switch (location.kind) {
    case 'mlflow-artifacts':
      return new MlflowArtifactsSource(trackingServerClient(location.serverUrl, opts.http, opts.logger), location.path);
    case 'run-artifacts':
      return new RunArtifactsSource(trackingServerClient(location.serverUrl, opts.http, opts.logger), location.runId, location.path);
    case 's3':
      return new S3Source(location.bucket, location.prefix, opts.s3);
  }
}

/**
 * A local directory holding the artifacts at `uri`: the directory itself when it is local,
 * else the cache entry `entry` (downloaded on first use).
 */
export async function fetchArtifactDir(
  uri: string,
  entry: CacheEntry,
  opts: ArtifactOptions,
  onProgress?: ProgressCallback,
): Promise<string> {
  const location = parseArtifactUri(uri, opts.trackingUri, opts.cwd);
  if (location.kind === 'local') {
    const info = await stat(location.path).catch(() => null);
    if (info === null || !info.isDirectory()) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Model directory ${location.path} does not exist${info === null ? '' : ' (it is a file)'}`);
    }
    return location.path;
  }
  return cachedDownload(opts.cacheDir, entry, () => sourceFor(location, opts), opts.logger, onProgress);
}

/** Files `readArtifactFile` reads whole into memory (MLmodel, input examples): larger ones are refused. */
const MAX_SMALL_FILE_BYTES = 16 * 1024 * 1024;

/**
 * One small file under the artifacts at `uri` (an MLmodel, an input example), read without
 * downloading anything else: local directories in place, remote stores file by file.
 * Null when the file does not exist.
 */
export async function readArtifactFile(uri: string, relativePath: string, opts: ArtifactOptions): Promise<Buffer | null> {
  const location = parseArtifactUri(uri, opts.trackingUri, opts.cwd);
  if (location.kind === 'local') {
    return readFile(join(location.path, relativePath)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw err;
    });
  }
  const source = sourceFor(location, opts);
  try {
    const stream = await source.open({ path: relativePath, size: null });
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > MAX_SMALL_FILE_BYTES) {
        stream.destroy();
        throw new MlflowError('INVALID_STATE', `${source.description}/${relativePath} is over ${MAX_SMALL_FILE_BYTES} bytes: not read into memory`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof MlflowError && (err.errorCode === 'RESOURCE_DOES_NOT_EXIST' || err.errorCode === 'ENDPOINT_NOT_FOUND')) return null;
    throw err;
  } finally {
    source.close?.();
  }
}

export type { ArtifactLocation } from './location.js';
export { parseArtifactUri, fileUriToPath, joinArtifactUri, serverBaseUrl } from './location.js';
export type { CacheEntry, CacheLimits } from './cache.js';
export { cachePath, pruneCache } from './cache.js';
export type { HttpSettings, TrackingAuth } from './http-client.js';
export { DEFAULT_HTTP_SETTINGS, trackingServerClient, TrackingServerClient } from './http-client.js';
export type { S3Settings } from './s3.js';
export { DEFAULT_S3_SETTINGS } from './s3.js';
export type { DownloadEvent, ProgressCallback, ProgressReporterOptions } from './progress.js';
export { createProgressReporter, progressLine, formatBytes } from './progress.js';
