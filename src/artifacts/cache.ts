/**
 * The local model cache. Each model version is downloaded into a fresh temp directory
 * and renamed into place only when complete, so a crash never leaves a half model;
 * concurrent requests for the same entry in this process share one download; an entry
 * that is already there is used without touching the source. Using an entry marks it as
 * used (its mtime); pruneCache keeps the entries in use plus the most recently used ones.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, realpath, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import type { ProgressCallback } from './progress.js';
import { assertRealPathInside, joinInside } from './safe-path.js';
import type { ArtifactSource, RemoteFile } from './source.js';

export interface CacheEntry {
  /** Readable part of the directory name, e.g. `iris-lr-v2`. */
  label: string;
  /** Everything that makes the content unique (artifact URI, name, version...). */
  identity: string;
}

const TEMP_PREFIX = '.tmp-';
/** A temp dir this old is left over from a crashed process. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;
const PARALLEL_FILES = 4;

const inFlight = new Map<string, Promise<string>>();

/** What the cache keeps besides the entries in use. */
export interface CacheLimits {
  /** the most recently used entries kept besides those in use */
  keep: number;
  /** total bytes of the cache's entries; null: no cap. Entries in use are never removed, whatever their size. */
  maxBytes: number | null;
}

/** Cache entry directories end in the 16 hex digits of their identity hash (cachePath). */
const ENTRY_NAME = /-[0-9a-f]{16}$/;

/** The directory an entry lives in (whether or not it is there yet). */
export function cachePath(cacheDir: string, entry: CacheEntry): string {
  const hash = createHash('sha256').update(entry.identity).digest('hex').slice(0, 16);
  const label = entry.label.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'model';
  return join(cacheDir, `${label}-${hash}`);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A cached tree must not reach outside the cache through a symlink, whoever put it there. */
async function assertNoEscapingLinks(cacheDir: string, dir: string): Promise<void> {
  await assertRealPathInside(cacheDir, dir);
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) await assertRealPathInside(cacheDir, join(entry.parentPath, entry.name));
  }
}

async function removeStaleTemps(cacheDir: string, logger: Logger): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(cacheDir, name);
    try {
      if (now - (await lstat(path)).mtimeMs > STALE_TEMP_MS) {
        await rm(path, { recursive: true, force: true });
        logger.info({ path }, 'removed a partial download left by an earlier process');
      }
    } catch {
      // another process may be removing it too
    }
  }
}

/** Runs `fn` over items, `limit` at a time; on a failure starts no more and waits for the running ones. */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

async function download(
  source: ArtifactSource,
  tempDir: string,
  onProgress: ProgressCallback | undefined,
): Promise<{ files: number; bytes: number }> {
  const files = await source.list();
  if (files.length === 0) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No artifacts found at ${source.description}`);
  }
  const sizes = files.map((f) => f.size);
  const totalBytes = sizes.every((s) => s !== null) ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0) : null;
  onProgress?.({ type: 'start', source: source.description, files: files.length, totalBytes });
  const realTemp = await realpath(tempDir);
  let bytes = 0;

  const fetchFile = async (file: RemoteFile): Promise<void> => {
    const dest = joinInside(realTemp, file.path);
    await mkdir(dirname(dest), { recursive: true });
    await assertRealPathInside(realTemp, dirname(dest));
    let written = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        bytes += chunk.length;
        onProgress?.({ type: 'progress', source: source.description, bytes, totalBytes });
        done(null, chunk);
      },
    });
    // 'wx': never follow or overwrite anything already at the destination.
    await pipeline(await source.open(file), count, createWriteStream(dest, { flags: 'wx' }));
    if (file.size !== null && written !== file.size) {
      throw new MlflowError('INTERNAL_ERROR', `Download of ${file.path} from ${source.description} was truncated: ${written} of ${file.size} bytes`);
    }
    onProgress?.({ type: 'file', source: source.description, path: file.path, bytes: written });
  };

  await mapLimit(files, PARALLEL_FILES, fetchFile);
  return { files: files.length, bytes };
}

/** Errors of the cache directory itself (full, read-only, not ours), told as such. */
const CACHE_DIR_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

function cacheDirError(cacheDir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined || !CACHE_DIR_ERRORS.has(code)) return err;
  const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'it is full' : code === 'EROFS' ? 'it is read-only' : 'it is not writable by this user';
  return new MlflowError(
    'INTERNAL_ERROR',
    `Cannot download into the model cache ${cacheDir} (--cache-dir, FLOWGATE_CACHE_DIR): ${why} (${(err as Error).message}); nothing partial is kept.`,
    { cause: err },
  );
}

async function fill(
  cacheDir: string,
  finalDir: string,
  makeSource: () => ArtifactSource,
  logger: Logger,
  onProgress: ProgressCallback | undefined,
): Promise<string> {
  try {
    return await fillOnce(cacheDir, finalDir, makeSource, logger, onProgress);
  } catch (err) {
    throw cacheDirError(cacheDir, err);
  }
}

async function fillOnce(
  cacheDir: string,
  finalDir: string,
  makeSource: () => ArtifactSource,
  logger: Logger,
  onProgress: ProgressCallback | undefined,
): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  await removeStaleTemps(cacheDir, logger);
  const source = makeSource();
  const tempDir = await mkdtemp(join(cacheDir, TEMP_PREFIX));
  try {
    const { files, bytes } = await download(source, tempDir, onProgress);
    try {
      await rename(tempDir, finalDir);
      await markUsed(finalDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process finished the same entry first: theirs is complete too.
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await isDirectory(finalDir))) throw err;
      await rm(tempDir, { recursive: true, force: true });
    }
    onProgress?.({ type: 'done', source: source.description, files, bytes, fromCache: false, dir: finalDir });
    return finalDir;
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  } finally {
    source.close?.();
  }
}

/**
 * The cache directory holding `entry`, downloading it from the source `makeSource` builds
 * when it is not there yet. The source is only built on a cache miss.
 */
export async function cachedDownload(
  cacheDir: string,
  entry: CacheEntry,
  makeSource: () => ArtifactSource,
  logger: Logger,
  onProgress?: ProgressCallback,
): Promise<string> {
  const finalDir = cachePath(cacheDir, entry);
  if (await isDirectory(finalDir)) {
    await assertNoEscapingLinks(cacheDir, finalDir);
    await markUsed(finalDir);
    onProgress?.({ type: 'done', source: entry.label, files: 0, bytes: 0, fromCache: true, dir: finalDir });
    return finalDir;
  }
  const running = inFlight.get(finalDir);
  if (running !== undefined) return running;
  const job = fill(cacheDir, finalDir, makeSource, logger, onProgress).finally(() => inFlight.delete(finalDir));
  inFlight.set(finalDir, job);
  return job;
}

/** Records a use of an entry (its directory mtime), for pruneCache's "most recently used". */
async function markUsed(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now).catch(() => undefined); // a read-only cache still serves
}

async function treeBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await lstat(join(entry.parentPath, entry.name))).size;
  }
  return bytes;
}

/**
 * Removes the cache entries of `cacheDir` that are not in `inUse` (directories being served
 * or loaded) beyond the `keep` most recently used, and then, least recently used first,
 * those that take the cache over `maxBytes`. Only directories named like cache entries
 * are touched, so a cache dir pointed at a shared folder never loses anything else.
 * Returns the bytes the cache's entries take afterwards.
 */
export async function pruneCache(cacheDir: string, inUse: readonly string[], limits: CacheLimits, logger: Logger): Promise<number> {
  const used = new Set(inUse);
  const entries: { path: string; lastUsed: number; bytes: number }[] = [];
  let keptBytes = 0;
  for (const entry of await readdir(cacheDir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !ENTRY_NAME.test(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(cacheDir, entry.name);
    try {
      const bytes = await treeBytes(path);
      if (used.has(path) || inFlight.has(path)) keptBytes += bytes;
      else entries.push({ path, lastUsed: (await stat(path)).mtimeMs, bytes });
    } catch {
      // removed meanwhile by another process
    }
  }
  entries.sort((a, b) => b.lastUsed - a.lastUsed);
  for (const [rank, entry] of entries.entries()) {
    const overCount = rank >= limits.keep;
    const overSize = limits.maxBytes !== null && keptBytes + entry.bytes > limits.maxBytes;
    if (!overCount && !overSize) {
      keptBytes += entry.bytes;
      continue;
    }
    await rm(entry.path, { recursive: true, force: true });
    logger.info(
      { path: entry.path, bytes: entry.bytes, reason: overCount ? 'keep' : 'max-size' },
      `removed cached model ${entry.path} (${overCount ? `beyond the ${limits.keep} most recently used` : `over the ${limits.maxBytes}-byte cap`})`,
    );
  }
  return keptBytes;
}
