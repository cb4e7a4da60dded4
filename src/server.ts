/**
 * Composition root of `flowgate serve`: resolve the URI, load the version, serve it over
 * HTTP, and keep following the URI (a new stage/alias target is loaded, then swapped in).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type { Logger } from 'pino';
import type { ServeConfig } from './config.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { registryOptionsFromEnv, resolveModel, type RegistryOptions, type ResolvedModel } from './registry/index.js';
import { ModelVersion, type ModelIdentity } from './serving/model-version.js';
import { ServedModel } from './serving/served-model.js';

export interface RunningServer {
  url: string;
  served: ServedModel;
  close(): Promise<void>;
}

export function identityOf(resolved: ResolvedModel): ModelIdentity {
  return {
    name: resolved.name ?? basename(resolved.localPath),
    version: resolved.version,
    uri: resolved.uri,
    localPath: resolved.localPath,
  };
}

export function registryOptions(config: ServeConfig, env: NodeJS.ProcessEnv, logger: Logger): RegistryOptions {
  return registryOptionsFromEnv(env, {
    trackingUri: config.trackingUri,
    registryUri: config.registryUri,
    cacheDir: config.cacheDir,
    logger,
  });
}

export async function startServer(config: ServeConfig, env: NodeJS.ProcessEnv, logger: Logger): Promise<RunningServer> {
  const registry = registryOptions(config, env, logger);
  const resolved = await resolveModel(config.modelUri, registry);
  const version = await ModelVersion.load(identityOf(resolved), logger);
  const served = new ServedModel(version.identity.name);
  await served.swap(version);

  const metrics = createMetrics();
  const app = createApp({ served, metrics, logger, timeoutSeconds: config.timeoutSeconds });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    { model: version.identity.name, version: version.identity.version, uri: config.modelUri, flavor: version.flavor, url },
    `serving ${version.identity.name}${version.identity.version ? ` version ${version.identity.version}` : ''} (${version.flavor}) at ${url}`,
  );
  return {
    url,
    served,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await served.close();
    },
  };
}
