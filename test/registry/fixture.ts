/**
 * Shared helpers of the registry/artifact tests: the real-MLflow registries (used in
 * place or copied to a temp dir = "relocated"), their resolution tables, a log capture.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { registryOptionsFromEnv, type RegistryOptions } from '../../src/registry/index.js';

export const MLFLOW_REAL = resolve(import.meta.dirname, '../../../shared/fixtures/mlflow-real');
export const HAVE_FIXTURES = existsSync(join(MLFLOW_REAL, 'registry-file', 'registry.json'));
export const SKIP_MESSAGE = `shared MLflow fixtures not found at ${MLFLOW_REAL}: skipping registry tests that need them`;
if (!HAVE_FIXTURES) console.warn(SKIP_MESSAGE);

export type RegistryName = 'registry-file' | 'registry-sqlite' | 'registry-sqlite-server';

export interface Resolution {
  ok: boolean;
  name?: string;
  version?: string;
  error?: string;
  error_type?: string;
}

/** `registry.json` → `resolution`: the 30 URIs and what real MLflow 2.17.2 answered. */
export function resolutionTable(registry: RegistryName): [string, Resolution][] {
  const doc = JSON.parse(readFileSync(join(MLFLOW_REAL, registry, 'registry.json'), 'utf8')) as { resolution: Record<string, Resolution> };
  return Object.entries(doc.resolution);
}

/** The message MLflow raised, without the `CODE: ` prefix RestException adds. */
export function expectedMessage(r: Resolution): string {
  const message = r.error ?? '';
  return r.error_type === 'RestException' ? message.replace(/^[A-Z_]+: /, '') : message;
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `flowgate-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of a fixture registry in a fresh temp dir: its stored absolute paths no longer exist. */
export function relocatedCopy(registry: RegistryName, into: string): string {
  const target = join(into, registry);
  cpSync(join(MLFLOW_REAL, registry), target, { recursive: true });
  return target;
}

export interface CapturedLogger {
  logger: Logger;
  records(): { level: number; msg: string; [key: string]: unknown }[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  return {
    logger,
    records: () => lines.flatMap((l) => l.split('\n').filter((x) => x !== '')).map((l) => JSON.parse(l) as { level: number; msg: string }),
  };
}

export function options(
  trackingUri: string | null,
  cacheDir: string,
  logger: Logger,
  env: Record<string, string> = {},
  extra: Partial<RegistryOptions> = {},
): RegistryOptions {
  return { ...registryOptionsFromEnv(env, { trackingUri, cacheDir, logger }), ...extra };
}

/** The error_code MLflow attaches to each kind of resolution failure in the table. */
export function expectedCode(r: Resolution): string {
  const prefix = /^([A-Z_]+): /.exec(r.error ?? '');
  if (r.error_type === 'RestException' && prefix !== null) return prefix[1]!;
  const message = r.error ?? '';
  if (message.startsWith('Registered model alias')) return 'INVALID_PARAMETER_VALUE';
  if (/^(Model Version|Registered Model) .* not found$/.test(message)) return 'RESOURCE_DOES_NOT_EXIST';
  // a malformed URI is the caller's mistake: flowgate says so (MLflow raises a plain MlflowException)
  if (message.startsWith('Not a proper models:/ URI')) return 'INVALID_PARAMETER_VALUE';
  // "No versions of model ...": a plain MlflowException
  return 'INTERNAL_ERROR';
}
