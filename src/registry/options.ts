/**
 * Everything the registry and artifact layers need to know, built once from the
 * environment and the CLI flags. This is the only place in src/registry and
 * src/artifacts that reads environment variables (and ~/.mlflow/credentials).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DEFAULT_HTTP_SETTINGS, type HttpSettings, type TrackingAuth } from '../artifacts/http-client.js';
import type { S3Settings } from '../artifacts/s3.js';
import { MlflowError } from '../errors.js';

export interface RegistryOptions {
  /** --tracking-uri / MLFLOW_TRACKING_URI; null → MLflow's default (spec §5.5). */
  trackingUri: string | null;
  /** MLFLOW_REGISTRY_URI; null → the tracking URI. */
  registryUri: string | null;
  /** Where downloaded models are kept (--cache-dir). */
  cacheDir: string;
  /** Base of relative paths and of MLflow's default `./mlruns` / `mlflow.db`. */
  cwd: string;
  /** Tracking server credentials, TLS, timeouts and retries. */
  http: HttpSettings;
  s3: S3Settings;
  logger: Logger;
}

export interface RegistryOverrides {
  trackingUri?: string | null;
  registryUri?: string | null;
  cacheDir?: string | null;
  cwd?: string;
  logger: Logger;
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value === '' ? null : value;
}

/** MLflow's boolean variables accept true/false/1/0 in any case, and nothing else. */
function bool(env: Env, name: string): boolean {
  const value = nonEmpty(env, name);
  if (value === null) return false;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new MlflowError('INVALID_PARAMETER_VALUE', `${name} must be one of true, false, 1, 0 (got ${JSON.stringify(value)})`);
}

function number(env: Env, name: string, fallback: number, integer: boolean): number {
  const value = nonEmpty(env, name);
  if (value === null) return fallback;
  const schema = integer ? z.number().int().min(0) : z.number().min(0);
  const parsed = schema.safeParse(Number(value));
  if (!parsed.success) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `${name} must be a ${integer ? 'whole ' : ''}number >= 0 (got ${JSON.stringify(value)})`);
  }
  return parsed.data;
}

/** The `[mlflow]` section of ~/.mlflow/credentials (mlflow_tracking_username / _password). */
function credentialsFile(home: string): { username: string | null; password: string | null } {
  let text: string;
  try {
    text = readFileSync(join(home, '.mlflow', 'credentials'), 'utf8');
  } catch {
    return { username: null, password: null };
  }
  const values: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = header[1]!.trim();
      continue;
    }
    const kv = /^([^=:]+)[=:](.*)$/.exec(line);
    if (section === 'mlflow' && kv !== null) values[kv[1]!.trim().toLowerCase()] = kv[2]!.trim();
  }
  return { username: values.mlflow_tracking_username ?? null, password: values.mlflow_tracking_password ?? null };
}

function trackingAuth(env: Env, home: string): TrackingAuth {
  const file = credentialsFile(home);
  const username = nonEmpty(env, 'MLFLOW_TRACKING_USERNAME') ?? file.username;
  const password = nonEmpty(env, 'MLFLOW_TRACKING_PASSWORD') ?? file.password;
  // As MLflow: basic auth needs both and wins over a token.
  if (username !== null && password !== null) return { kind: 'basic', username, password };
  const token = nonEmpty(env, 'MLFLOW_TRACKING_TOKEN');
  return token === null ? { kind: 'none' } : { kind: 'bearer', token };
}

function httpSettings(env: Env, home: string, logger: Logger): HttpSettings {
  const insecureTls = bool(env, 'MLFLOW_TRACKING_INSECURE_TLS');
  const caCertPath = nonEmpty(env, 'MLFLOW_TRACKING_SERVER_CERT_PATH');
  if (insecureTls && caCertPath !== null) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', 'MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH cannot both be set.');
  }
  for (const name of ['MLFLOW_TRACKING_AUTH', 'MLFLOW_TRACKING_AWS_SIGV4']) {
    if (nonEmpty(env, name) !== null && env[name]!.toLowerCase() !== 'false') {
      logger.warn({ variable: name }, `${name} is set, but flowgate does not support MLflow auth plugins or SigV4 signing; requests go without it`);
    }
  }
  return {
    auth: trackingAuth(env, home),
    insecureTls,
    caCertPath,
    clientCertPath: nonEmpty(env, 'MLFLOW_TRACKING_CLIENT_CERT_PATH'),
    timeoutMs: number(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', DEFAULT_HTTP_SETTINGS.timeoutMs / 1000, true) * 1000,
    maxRetries: number(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', DEFAULT_HTTP_SETTINGS.maxRetries, true),
    backoffFactorSeconds: number(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', DEFAULT_HTTP_SETTINGS.backoffFactorSeconds, false),
    backoffJitterSeconds: number(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', DEFAULT_HTTP_SETTINGS.backoffJitterSeconds, false),
    deadlineMs: number(env, 'FLOWGATE_REGISTRY_TIMEOUT', DEFAULT_HTTP_SETTINGS.deadlineMs / 1000, false) * 1000,
  };
}

function s3Settings(env: Env): S3Settings {
  const accessKeyId = nonEmpty(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = nonEmpty(env, 'AWS_SECRET_ACCESS_KEY');
  const style = (nonEmpty(env, 'MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE') ?? 'auto').toLowerCase();
  if (style !== 'auto' && style !== 'path' && style !== 'virtual') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE must be auto, path or virtual (got ${JSON.stringify(style)})`);
  }
  return {
    endpointUrl: nonEmpty(env, 'MLFLOW_S3_ENDPOINT_URL'),
    ignoreTls: bool(env, 'MLFLOW_S3_IGNORE_TLS'),
    region: nonEmpty(env, 'AWS_DEFAULT_REGION') ?? nonEmpty(env, 'AWS_REGION'),
    credentials:
      accessKeyId !== null && secretAccessKey !== null
        ? { accessKeyId, secretAccessKey, sessionToken: nonEmpty(env, 'AWS_SESSION_TOKEN') }
        : null,
    addressingStyle: style,
  };
}

/** The OS cache directory for flowgate's models (XDG on Linux, Library/Caches on macOS, LOCALAPPDATA on Windows). */
export function defaultCacheDir(env: Env, home: string, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'flowgate', 'models');
  if (platform === 'win32') return join(nonEmpty(env, 'LOCALAPPDATA') ?? join(home, 'AppData', 'Local'), 'flowgate', 'Cache', 'models');
  return join(nonEmpty(env, 'XDG_CACHE_HOME') ?? join(home, '.cache'), 'flowgate', 'models');
}

/** Flags win over environment variables, which win over MLflow's defaults. */
export function registryOptionsFromEnv(env: Env, overrides: RegistryOverrides): RegistryOptions {
  const home = nonEmpty(env, 'HOME') ?? nonEmpty(env, 'USERPROFILE') ?? homedir();
  const cwd = overrides.cwd ?? process.cwd();
  return {
    trackingUri: overrides.trackingUri ?? nonEmpty(env, 'MLFLOW_TRACKING_URI'),
    registryUri: overrides.registryUri ?? nonEmpty(env, 'MLFLOW_REGISTRY_URI'),
    cacheDir: resolve(cwd, overrides.cacheDir ?? defaultCacheDir(env, home, process.platform)),
    cwd,
    http: httpSettings(env, home, overrides.logger),
    s3: s3Settings(env),
    logger: overrides.logger,
  };
}
