/**
 * Configuration enters once: CLI flags over environment variables (MLflow's names), into
 * one zod-validated object that is passed down. No other module reads process.env,
 * except the registry's own credentials builder, called from here.
 */
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { RuntimeOptions } from './model/flavor.js';

const port = z.coerce.number().int().min(0).max(65535);

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, ki: 2 ** 10, kib: 2 ** 10, mi: 2 ** 20, mib: 2 ** 20, gi: 2 ** 30, gib: 2 ** 30, ti: 2 ** 40, tib: 2 ** 40 };

/** `1500000000`, `2GiB`, `1.5G`, `500MB` → bytes. */
export function byteSize(text: string, ctx: z.RefinementCtx): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m === null ? undefined : BYTE_UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 2GiB, 500MB or 1500000000 (got ${JSON.stringify(text)})` });
    return z.NEVER;
  }
  return Math.floor(Number(m[1]) * unit);
}
const seconds = z.coerce.number().positive();

export const serveConfigSchema = z.object({
  /** -m/--model-uri; '' when an endpoints file (configPath) says what to serve */
  modelUri: z.string(),
  /** --config / FLOWGATE_CONFIG: the endpoints file; null with -m */
  configPath: z.string().min(1).nullable(),
  host: z.string().min(1),
  port,
  timeoutSeconds: seconds,
  trackingUri: z.string().nullable(),
  registryUri: z.string().nullable(),
  cacheDir: z.string().min(1),
  /** --cache-keep / FLOWGATE_CACHE_KEEP: cached versions kept besides those in use */
  cacheKeep: z.coerce.number().int().min(0),
  /** --cache-max-size / FLOWGATE_CACHE_MAX_SIZE: bytes, null for no cap */
  cacheMaxBytes: z.string().nullable().transform((text, ctx) => (text === null ? null : byteSize(text, ctx))),
  pollIntervalSeconds: z.coerce.number().min(0),
  /** -w/--workers: replica threads running CPU-bound models; 0 runs everything on the main thread */
  workers: z.coerce.number().int().min(0).max(256),
  /** --max-queue: requests in flight per model (running or waiting) before 503s */
  maxQueue: z.coerce.number().int().min(1),
  /** on SIGTERM, seconds /ping answers 503 while the listener still serves */
  shutdownDelaySeconds: z.coerce.number().min(0),
  /** then, at most this many seconds for requests in flight to finish */
  drainTimeoutSeconds: seconds,
  /** --otel, or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT set (and not OTEL_SDK_DISABLED=true): export traces */
  otel: z.boolean(),
  /** --max-batch-size: requests of a batchable model run as one call at most (1: no batching) */
  maxBatchSize: z.coerce.number().int().min(1).max(4096),
  /** --max-batch-delay-ms: how long requests queued behind a running batch may wait for the next to fill */
  maxBatchDelayMs: z.coerce.number().min(0).max(10_000),
  /** --max-body-size / FLOWGATE_MAX_BODY_SIZE: request bodies past it get 413 */
  maxBodyBytes: z.string().transform((text, ctx) => byteSize(text, ctx)),
  /** --max-json-depth / FLOWGATE_MAX_JSON_DEPTH: deepest JSON nesting accepted */
  maxJsonDepth: z.coerce.number().int().min(2),
  /** --max-elements / FLOWGATE_MAX_ELEMENTS: most JSON array elements (or CSV fields) in a request */
  maxElements: z.coerce.number().int().min(1),
  /** --header-timeout, --body-timeout, --keep-alive-timeout (seconds), --max-connections */
  listener: z.object({
    headerTimeoutSeconds: seconds,
    bodyTimeoutSeconds: seconds,
    keepAliveTimeoutSeconds: seconds,
    maxConnections: z.coerce.number().int().min(1).nullable(),
  }),
  /** --auth-token-file, FLOWGATE_AUTH_TOKENS, --auth-htpasswd, --metrics-token: credentials; none leaves the routes open */
  auth: z.object({
    tokenFile: z.string().min(1).nullable(),
    tokens: z.string().transform((text) => text.split(',').map((t) => t.trim()).filter((t) => t !== '')),
    htpasswdFile: z.string().min(1).nullable(),
    metricsToken: z.string().min(1).nullable(),
  }),
  /** --admin-port / FLOWGATE_ADMIN_PORT: the port of /metrics, /endpoints, /openapi.json, /admin/*, /ui; null: on the main port */
  adminPort: port.nullable(),
  /** --tls-cert, --tls-key: PEM files of the main listener's certificate and key; null: plain HTTP */
  tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).nullable(),
  /** --public-openapi: /openapi.json answers without credentials */
  publicOpenapi: z.boolean(),
  /** --access-log / FLOWGATE_ACCESS_LOG: request lines for every request, failed ones only, or none */
  accessLog: z.enum(['all', 'errors', 'off']),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** --runtime: `auto` (native flavors first, Python for the rest) or `python` for every model */
  runtime: z.enum(['auto', 'python']),
  /** --python / FLOWGATE_PYTHON: the Python that runs models in the Python runtime */
  python: z.string().min(1),
  pythonWorkers: z.coerce.number().int().min(1).max(64),
  envManager: z.enum(['local', 'virtualenv']),
}).refine((c) => c.modelUri !== '' || c.configPath !== null, {
  path: ['modelUri'],
  message: 'a model URI is required (-m/--model-uri), or an endpoints file (--config)',
});

export type ServeConfig = z.infer<typeof serveConfigSchema>;

export interface ServeFlags {
  modelUri?: string | undefined;
  config?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  timeout?: string | undefined;
  trackingUri?: string | undefined;
  cacheDir?: string | undefined;
  cacheKeep?: string | undefined;
  cacheMaxSize?: string | undefined;
  pollInterval?: string | undefined;
  workers?: string | undefined;
  maxQueue?: string | undefined;
  maxBatchSize?: string | undefined;
  maxBatchDelayMs?: string | undefined;
  maxBodySize?: string | undefined;
  maxJsonDepth?: string | undefined;
  maxElements?: string | undefined;
  headerTimeout?: string | undefined;
  bodyTimeout?: string | undefined;
  keepAliveTimeout?: string | undefined;
  maxConnections?: string | undefined;
  authTokenFile?: string | undefined;
  authHtpasswd?: string | undefined;
  metricsToken?: string | undefined;
  adminPort?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  publicOpenapi?: boolean | undefined;
  accessLog?: string | undefined;
  logLevel?: string | undefined;
  runtime?: string | undefined;
  python?: string | undefined;
  pythonWorkers?: string | undefined;
  envManager?: string | undefined;
  shutdownDelay?: string | undefined;
  drainTimeout?: string | undefined;
  otel?: boolean | undefined;
}

/** The OS cache dir (XDG on Linux), where remote model versions are downloaded. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || (process.platform === 'darwin' ? join(homedir(), 'Library', 'Caches') : join(homedir(), '.cache'));
  return join(base, 'flowgate');
}

export class ConfigError extends Error {}

/**
 * What to serve: -m and --config exclude each other; a flag beats the environment, and an
 * endpoints file (FLOWGATE_CONFIG) beats a model URI from the environment (the container
 * entrypoint always sets MODEL_URI).
 */
function modelOrConfig(flags: ServeFlags, env: NodeJS.ProcessEnv): { modelUri: string; configPath: string | null } {
  if (flags.modelUri !== undefined && flags.config !== undefined) {
    throw new ConfigError('give either -m/--model-uri or --config, not both');
  }
  if (flags.modelUri !== undefined) return { modelUri: flags.modelUri, configPath: null };
  const configPath = flags.config ?? (env.FLOWGATE_CONFIG || null);
  if (configPath !== null) return { modelUri: '', configPath };
  return { modelUri: env.FLOWGATE_MODEL_URI ?? env.MODEL_URI ?? '', configPath: null };
}

/** The TLS certificate and key: both or neither. */
function tlsFiles(flags: ServeFlags, env: NodeJS.ProcessEnv): { cert: string; key: string } | null {
  const cert = flags.tlsCert ?? (env.FLOWGATE_TLS_CERT || undefined);
  const key = flags.tlsKey ?? (env.FLOWGATE_TLS_KEY || undefined);
  if (cert === undefined && key === undefined) return null;
  if (cert === undefined || key === undefined) throw new ConfigError('TLS needs both --tls-cert and --tls-key (FLOWGATE_TLS_CERT, FLOWGATE_TLS_KEY)');
  return { cert, key };
}

export function serveConfig(flags: ServeFlags, env: NodeJS.ProcessEnv): ServeConfig {
  const parsed = serveConfigSchema.safeParse({
    ...modelOrConfig(flags, env),
    host: flags.host ?? env.MLFLOW_HOST ?? '127.0.0.1',
    port: flags.port ?? env.MLFLOW_PORT ?? 5000,
    timeoutSeconds: flags.timeout ?? env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT ?? 60,
    trackingUri: flags.trackingUri ?? env.MLFLOW_TRACKING_URI ?? null,
    registryUri: env.MLFLOW_REGISTRY_URI ?? null,
    cacheDir: flags.cacheDir ?? env.FLOWGATE_CACHE_DIR ?? defaultCacheDir(env),
    cacheKeep: flags.cacheKeep ?? env.FLOWGATE_CACHE_KEEP ?? 2,
    cacheMaxBytes: flags.cacheMaxSize ?? (env.FLOWGATE_CACHE_MAX_SIZE || null),
    pollIntervalSeconds: flags.pollInterval ?? env.FLOWGATE_POLL_INTERVAL ?? 30,
    workers: flags.workers ?? env.MLFLOW_MODELS_WORKERS ?? availableParallelism(),
    maxQueue: flags.maxQueue ?? env.FLOWGATE_MAX_QUEUE ?? 128,
    maxBatchSize: flags.maxBatchSize ?? env.FLOWGATE_MAX_BATCH_SIZE ?? 64,
    maxBatchDelayMs: flags.maxBatchDelayMs ?? env.FLOWGATE_MAX_BATCH_DELAY_MS ?? 0,
    maxBodyBytes: flags.maxBodySize ?? env.FLOWGATE_MAX_BODY_SIZE ?? '100MB',
    maxJsonDepth: flags.maxJsonDepth ?? env.FLOWGATE_MAX_JSON_DEPTH ?? 64,
    maxElements: flags.maxElements ?? env.FLOWGATE_MAX_ELEMENTS ?? 10_000_000,
    listener: {
      headerTimeoutSeconds: flags.headerTimeout ?? env.FLOWGATE_HEADER_TIMEOUT ?? 10,
      bodyTimeoutSeconds: flags.bodyTimeout ?? env.FLOWGATE_BODY_TIMEOUT ?? 30,
      keepAliveTimeoutSeconds: flags.keepAliveTimeout ?? env.FLOWGATE_KEEP_ALIVE_TIMEOUT ?? 5,
      maxConnections: flags.maxConnections ?? (env.FLOWGATE_MAX_CONNECTIONS || null),
    },
    auth: {
      tokenFile: flags.authTokenFile ?? (env.FLOWGATE_AUTH_TOKEN_FILE || null),
      tokens: env.FLOWGATE_AUTH_TOKENS ?? '',
      htpasswdFile: flags.authHtpasswd ?? (env.FLOWGATE_AUTH_HTPASSWD || null),
      metricsToken: flags.metricsToken ?? (env.FLOWGATE_METRICS_TOKEN || null),
    },
    adminPort: flags.adminPort ?? (env.FLOWGATE_ADMIN_PORT || null),
    tls: tlsFiles(flags, env),
    publicOpenapi: flags.publicOpenapi === true || env.FLOWGATE_PUBLIC_OPENAPI?.toLowerCase() === 'true',
    accessLog: flags.accessLog ?? env.FLOWGATE_ACCESS_LOG ?? 'all',
    logLevel: flags.logLevel ?? env.FLOWGATE_LOG_LEVEL ?? 'info',
    runtime: flags.runtime ?? env.FLOWGATE_RUNTIME ?? 'auto',
    python: flags.python ?? env.FLOWGATE_PYTHON ?? 'python3',
    pythonWorkers: flags.pythonWorkers ?? env.FLOWGATE_PYTHON_WORKERS ?? 1,
    envManager: flags.envManager ?? env.FLOWGATE_ENV_MANAGER ?? 'local',
    shutdownDelaySeconds: flags.shutdownDelay ?? env.FLOWGATE_SHUTDOWN_DELAY ?? 5,
    drainTimeoutSeconds: flags.drainTimeout ?? env.FLOWGATE_DRAIN_TIMEOUT ?? 20,
    otel: env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true' && (flags.otel === true || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)),
  });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/** How the flavors run models: the Python runtime's settings, the request timeout and batching. */
export function runtimeOptions(config: ServeConfig): RuntimeOptions {
  return {
    runtime: config.runtime,
    batching: { maxBatchSize: config.maxBatchSize, maxBatchDelayMs: config.maxBatchDelayMs },
    timeoutSeconds: config.timeoutSeconds,
    python: {
      executable: config.python,
      workers: config.pythonWorkers,
      envManager: config.envManager,
      envCacheDir: join(config.cacheDir, 'python-envs'),
    },
  };
}
