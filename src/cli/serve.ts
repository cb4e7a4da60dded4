/**
 * `flowgate serve`: start the server (the port is bound before the models load), re-read
 * the endpoints file on SIGHUP, and drain on SIGINT/SIGTERM (server.ts's shutdown; a second
 * signal exits at once). A first load that retrying cannot fix (the registry cannot be
 * asked, or a pinned version cannot load) stops the process with status 1; any other
 * failure is retried with backoff.
 */
import { ConfigError, serveConfig, type ServeConfig, type ServeFlags } from '../config.js';
import { ConfigFileError } from '../endpoints/config-file.js';
import { createLogger } from '../logging.js';
import { startServer, type RunningServer } from '../server.js';
import { FirstLoadError } from '../serving/follower.js';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { parseJsonLenient } from '../protocol/lenient-json.js';

/** `mlflow models serve` flags that launch scripts pass, so that they run unchanged. */
export const MLFLOW_SERVE_OPTIONS = {
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
  if (manager === undefined || manager === 'local' || manager === 'virtualenv') return null;
  if (manager === 'conda') {
    return (
      '--env-manager conda: flowgate does not create conda environments; it runs models natively (ONNX, TensorFlow/Keras, ' +
      'scikit-learn, XGBoost, LightGBM) or in Python workers with --env-manager local (--python PATH) or virtualenv.'
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
    server = await startServer(config, process.env, logger, { waitForModels: false });
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
    if (config.configPath === null) logger.info('SIGHUP: no endpoints file to re-read (serving -m URI)');
    void running.reload();
  };
  process.on('SIGHUP', reload);
  const code = await new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, `${signal}: shutting down (a second signal exits at once)`);
      process.off('SIGINT', stop).off('SIGTERM', stop);
      process.once('SIGINT', exitNow).once('SIGTERM', exitNow);
      running.shutdown().then(
        () => resolve(0),
        (err: Error) => {
          logger.error({ err }, `shutdown: ${err.message}`);
          resolve(0);
        },
      );
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
    running.ready.then(
      async () => process.stderr.write(await tryItLine(running, config)),
      (err: unknown) => {
        const what = err instanceof FirstLoadError ? err.uri : (config.configPath ?? config.modelUri);
        logger.fatal({ err }, `cannot serve ${what}: ${(err as Error).message}`);
        process.stderr.write(`flowgate serve: cannot serve ${what}: ${(err as Error).message.split('\n')[0]}\n`);
        running.close().then(() => resolve(1), () => resolve(1));
      },
    );
  });
  process.off('SIGHUP', reload);
  logger.flush();
  return code;
}

/** A second signal during a drain: exit now, with the shell's code for the signal. */
function exitNow(signal: NodeJS.Signals): void {
  process.stderr.write(`flowgate serve: ${signal} again, exiting without draining\n`);
  process.exit(128 + constants.signals[signal]);
}

/**
 * A ready-to-paste request for people at a terminal (stderr: stdout carries the JSON logs):
 * with TLS it trusts the served certificate (--cacert) under a name the certificate holds,
 * with auth on it says which credential to send.
 */
export async function tryItLine(server: RunningServer, config: Pick<ServeConfig, 'tls' | 'auth'>): Promise<string> {
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
  let url = server.url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:');
  const options: string[] = [];
  if (config.tls !== null) {
    options.push(`--cacert ${shellQuote(config.tls.cert)}`);
    const address = new URL(url);
    const name = await certificateName(config.tls.cert, address.hostname.replace(/^\[|\]$/g, ''));
    if (name !== null) {
      options.push(`--resolve ${shellQuote(`${name}:${address.port}:${address.hostname.replace(/^\[|\]$/g, '')}`)}`);
      url = `https://${name}:${address.port}`;
    }
  }
  const { tokenFile, tokens, htpasswdFile } = config.auth;
  if (tokenFile !== null || tokens.some((t) => !t.includes(':'))) options.push(`-H 'Authorization: Bearer <token>'`);
  else if (htpasswdFile !== null || tokens.length > 0) options.push(`-u '<user>:<password>'`);
  const extra = options.map((o) => `${o} `).join('');
  return `\nflowgate is serving at ${url}. Try:\n  curl -s ${extra}${url}/invocations -H 'Content-Type: application/json' -d ${shellQuote(body)}\n\n`;
}

const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/**
 * The name to reach `host` by so that curl accepts the certificate: null when it already
 * covers `host`, else a name it holds (localhost first, then its first DNS name), which
 * curl is told to resolve to `host`; null too when it cannot be read (the line stays as is).
 */
async function certificateName(certFile: string, host: string): Promise<string | null> {
  try {
    const cert = new X509Certificate(await readFile(certFile));
    if (cert.checkIP(host) !== undefined || cert.checkHost(host) !== undefined) return null;
    if (cert.checkHost('localhost') !== undefined) return 'localhost';
    const dns = (cert.subjectAltName ?? '').split(', ').find((n) => n.startsWith('DNS:') && !n.includes('*'));
    return dns === undefined ? null : dns.slice(4);
  } catch {
    return null;
  }
}
