/**
 * `flowgate serve`: start the server and stop cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, serveConfig, type ServeFlags } from '../config.js';
import { createLogger } from '../logging.js';
import { startServer } from '../server.js';

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
    logger.fatal({ err }, `cannot serve ${config.modelUri}: ${(err as Error).message}`);
    logger.flush();
    process.stderr.write(`flowgate serve: cannot serve ${config.modelUri}: ${(err as Error).message}\n`);
    return 1;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: draining requests');
      running.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.flush();
  return 0;
}
