/**
 * Configuration enters once: CLI flags over environment variables (MLflow's names), into
 * one zod-validated object that is passed down. No other module reads process.env,
 * except the registry's own credentials builder, called from here.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
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
  pollIntervalSeconds: z.coerce.number().min(0),
  /** on SIGTERM, seconds /ping answers 503 while the listener still serves */
  shutdownDelaySeconds: z.coerce.number().min(0),
  /** then, at most this many seconds for requests in flight to finish */
  drainTimeoutSeconds: seconds,
  /** --otel, or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT set (and not OTEL_SDK_DISABLED=true): export traces */
  otel: z.boolean(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
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
  pollInterval?: string | undefined;
  logLevel?: string | undefined;
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

export function serveConfig(flags: ServeFlags, env: NodeJS.ProcessEnv): ServeConfig {
  const parsed = serveConfigSchema.safeParse({
    ...modelOrConfig(flags, env),
    host: flags.host ?? env.MLFLOW_HOST ?? '127.0.0.1',
    port: flags.port ?? env.MLFLOW_PORT ?? 5000,
    timeoutSeconds: flags.timeout ?? env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT ?? 60,
    trackingUri: flags.trackingUri ?? env.MLFLOW_TRACKING_URI ?? null,
    registryUri: env.MLFLOW_REGISTRY_URI ?? null,
    cacheDir: flags.cacheDir ?? env.FLOWGATE_CACHE_DIR ?? defaultCacheDir(env),
    pollIntervalSeconds: flags.pollInterval ?? env.FLOWGATE_POLL_INTERVAL ?? 30,
    logLevel: flags.logLevel ?? env.FLOWGATE_LOG_LEVEL ?? 'info',
    shutdownDelaySeconds: flags.shutdownDelay ?? env.FLOWGATE_SHUTDOWN_DELAY ?? 5,
    drainTimeoutSeconds: flags.drainTimeout ?? env.FLOWGATE_DRAIN_TIMEOUT ?? 20,
    otel: env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true' && (flags.otel === true || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)),
  });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
