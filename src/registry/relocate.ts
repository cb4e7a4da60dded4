/**
 * Registries get copied between machines, but file and SQLite stores keep the absolute
 * artifact paths of the machine that wrote them (fixtures README, "Relocation"). MLflow
 * then fails; we look for the same trailing path under the registry root and say so.
 */
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Logger } from 'pino';
import { fileUriToPath } from '../artifacts/location.js';
import { logOnce } from './log-once.js';
import { uriScheme } from './uri.js';

/** Shortest trailing part of a stored path we trust to identify an artifact directory. */
const MIN_SEGMENTS = 2;

export class Relocator {
  constructor(
    /** Directories a moved store's paths are relative to (the store root and its parent). */
    private readonly bases: string[],
    private readonly cwd: string,
    private readonly logger: Logger,
    private readonly storeUri: string,
  ) {}

  /** The absolute local path of a `file:` URI or plain path; null for any other scheme. */
  localPath(location: string): string | null {
    const scheme = uriScheme(location);
    if (scheme !== null && scheme !== 'file') return null;
    try {
      return fileUriToPath(location, this.cwd);
    } catch {
      return null;
    }
  }

  /** `location` itself when it exists or is not local; else the relocated path, if one exists. */
  localize(location: string): string {
    const path = this.localPath(location);
    if (path === null || existsSync(path)) return location;
    const found = this.find(path);
    if (found === null) return location;
    logOnce(
      this.logger,
      'warn',
      `relocate\n${this.storeUri}\n${location}`,
      { stored: location, using: found, store: this.storeUri },
      'stored artifact location does not exist (registry moved from another machine?); using the same path under the registry root',
    );
    return found;
  }

  /**
   * Whether artifacts exist at `location` after relocation. Remote locations (s3:, ...)
   * are assumed to exist: checking them costs a listing, and the download will tell.
   */
  hasLocal(location: string): boolean {
    const path = this.localPath(this.localize(location));
    return path === null || existsSync(path);
  }

  /** Longest trailing part of `path` that exists under one of the bases. */
  private find(path: string): string | null {
    const segments = path.split(sep).filter((s) => s !== '');
    for (let start = 0; start + MIN_SEGMENTS <= segments.length; start++) {
      const tail = segments.slice(start);
      for (const base of this.bases) {
        const candidate = join(base, ...tail);
        if (existsSync(candidate)) return candidate;
      }
    }
    return null;
  }
}
