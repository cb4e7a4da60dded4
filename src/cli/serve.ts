/**
 * `flowgate serve`: start the server, re-read the endpoints file on SIGHUP, and stop
 * cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, serveConfig, type ServeFlags } from '../config.js';
import { ConfigFileError } from '../endpoints/config-file.js';
import { createLogger } from '../logging.js';
import { startServer, type RunningServer } from '../server.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonLenient } from '../protocol/lenient-json.js';

/** `mlflow models serve` flags that launch scripts pass, so that they run unchanged. */
export const MLFLOW_SERVE_OPTIONS = {
  'env-manager': { type: 'string' },
  'no-conda': { type: 'boolean' },
  'install-mlflow': { type: 'boolean' },
  'enable-mlserver': { type: 'boolean' },
} as const;

/** Why flowgate cannot honour these MLflow flags, or null when it runs as asked. */
export function mlflowServeFlagsError(values: { 'env-manager'?: unknown; 'no-conda'?: unknown; 'enable-mlserver'?: unknown }): string | null {
  if (values['enable-mlserver'] === true) {
    return (
      '--enable-mlserver: flowgate does not start MLServer; it serves the Open Inference Protocol (V2) itself, ' +
      'at /v2/models/<name>/infer beside /invocations on the same port. Drop the flag and point V2 clients at flowgate.'
    );
  }
  // MLflow's rule: --no-conda means local, whatever --env-manager says
  const manager = values['no-conda'] === true ? 'local' : values['env-manager'];
  if (manager === undefined || manager === 'local') return null;
  if (manager === 'virtualenv' || manager === 'conda') {
    return (
      `--env-manager ${manager}: flowgate does not create ${manager} environments; it loads models in its own runtimes ` +
      '(ONNX, TensorFlow/Keras, scikit-learn, XGBoost, LightGBM natively). Use --env-manager local.'
    );
  }
  return `Invalid value for \`env_manager\`: ${String(manager)}. Must be one of ['local', 'conda', 'virtualenv']`;
}

export async function runServe(flags: ServeFlags): Promise<number> {
  let config;
  try {
    config = serveConfig(flags, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flowgate serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, process.env, logger);
  } catch (err) {
    if (err instanceof ConfigFileError) {
      logger.flush();
      process.stderr.write(`flowgate serve: ${err.message}\n`);
      return 2;
    }
    const what = config.configPath ?? config.modelUri;
    logger.fatal({ err }, `cannot serve ${what}: ${(err as Error).message}`);
    logger.flush();
    process.stderr.write(`flowgate serve: cannot serve ${what}: ${(err as Error).message}\n`);
    return 1;
  }
  const running = server;
  const reload = () => {
    if (config.configPath === null) return void logger.info('SIGHUP: no endpoints file to re-read (serving -m URI)');
    void running.reload();
  };
  process.on('SIGHUP', reload);
  process.stderr.write(await tryItLine(running));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: draining requests');
      running.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('SIGHUP', reload);
  logger.flush();
  return 0;
}

/** A ready-to-paste request for people at a terminal (stderr: stdout carries the JSON logs). */
async function tryItLine(server: RunningServer): Promise<string> {
  const version = server.served.current();
  const example = version?.mlmodel.inputExample?.servingInputPath;
  let body = '{"inputs": [[1, 2, 3, 4]]}';
  if (version && example) {
    try {
      body = JSON.stringify(parseJsonLenient(await readFile(join(version.identity.localPath, example), 'utf8')));
    } catch {
      // keep the generic body
    }
  }
  const url = server.url.replace('://0.0.0.0:', '://127.0.0.1:');
  return `\nflowgate is serving at ${url}. Try:\n  curl -s ${url}/invocations -H 'Content-Type: application/json' -d '${body.replace(/'/g, "'\\''")}'\n\n`;
}
