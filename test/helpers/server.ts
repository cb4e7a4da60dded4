/**
 * Starts a real flowgate server in-process on 127.0.0.1 and a free port.
 */
import pino from 'pino';
import { serveConfig, type ServeFlags } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const quietLogger = pino({ level: 'silent' });

export async function startFlowgate(modelUri: string, flags: ServeFlags = {}, env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const config = serveConfig({ port: '0', pollInterval: '0', logLevel: 'silent', ...flags, modelUri }, env);
  return startServer(config, env, quietLogger);
}
