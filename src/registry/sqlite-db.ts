/**
 * better-sqlite3 (a native addon), required on the first open of an MLflow SQLite database:
 * a process serving from a file store or a tracking server never loads it.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

let driver: typeof Database | null = null;

export function openSqlite(path: string, options: Database.Options): Database.Database {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return new driver(path, options);
}
