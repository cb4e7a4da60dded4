/**
 * Composition root of `flowgate serve`: resolve the URI, load the version, serve it over
 * HTTP, and keep following the URI (a new stage/alias target is loaded, then swapped in).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ServeConfig } from './config.js';
import { createApp } from './http/app.js';
import { Metrics } from './metrics.js';
import { createProgressReporter, registryOptionsFromEnv, resolveModel, type RegistryOptions } from './registry/index.js';
import { Follower, loadVersion } from './serving/follower.js';
import { ServedModel } from './serving/served-model.js';

export interface RunningServer {
  url: string;
  served: ServedModel;
  follower: Follower;
  close(): Promise<void>;
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
  const metrics = new Metrics();
  // resolveModel (not just resolveModelVersion): it downloads with progress on stderr, and
  // when the registry is unreachable at start it falls back to the version cached last time.
  const ref = await resolveModel(config.modelUri, registry, createProgressReporter({ stream: process.stderr, logger }));
  const version = await loadVersion(ref, { registry, logger, metrics });
  const served = new ServedModel(version.identity.name);
  await served.swap(version);
  metrics.markServed(version);
  const follower = new Follower({ uri: config.modelUri, served, registry, intervalSeconds: config.pollIntervalSeconds, logger, metrics }, ref);
  follower.start();

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
    follower,
    async close() {
      follower.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await served.close();
    },
  };
}
