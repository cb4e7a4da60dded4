/**
 * Paths that come from a server (listings, S3 keys) decide where files land in the cache.
 * They must stay relative and inside the download directory, whatever the server sends.
 */
import { realpath } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';
import { MlflowError } from '../errors.js';

function unsafe(path: string, why: string, origin: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `Refusing artifact path ${JSON.stringify(path)} from ${origin}: ${why}`);
}

/**
 * A server-provided relative path, normalised to `a/b/c`. Refuses `..`, absolute paths
 * (POSIX, Windows drive or UNC), backslashes, NUL bytes and empty results.
 */
export function safeRelativePath(path: string, origin: string): string {
  if (path.includes('\0')) throw unsafe(path, 'contains a NUL byte', origin);
  if (path.includes('\\')) throw unsafe(path, 'contains a backslash', origin);
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) throw unsafe(path, 'is absolute', origin);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafe(path, "contains '..'", origin);
  if (segments.length === 0) throw unsafe(path, 'is empty', origin);
  return segments.join('/');
}

/** One path segment (a file or directory name from a listing). */
export function safeName(name: string, origin: string): string {
  const clean = safeRelativePath(name, origin);
  if (clean.includes('/')) throw unsafe(name, 'is not a single name', origin);
  return clean;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** `root/rel` for a path already checked by safeRelativePath, asserting it stays under root. */
export function joinInside(root: string, rel: string): string {
  const path = join(root, ...rel.split('/'));
  if (!inside(root, path)) throw unsafe(rel, 'leaves the download directory', 'a listing');
  return path;
}

/** After symlinks are followed, `path` must still be under `root` (both resolved). */
export async function assertRealPathInside(root: string, path: string): Promise<void> {
  const [realRoot, realPath] = await Promise.all([realpath(root), realpath(path)]);
  if (!inside(realRoot, realPath)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Refusing ${path}: it resolves to ${realPath}, outside the model cache ${realRoot}.`);
  }
}
