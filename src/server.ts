/**
 * Composition root of `flowgate serve`: read what to serve (`-m URI`, or an endpoints file),
 * bind the port at once (/health answers while models load; /ping says 503 until they
 * serve), load every model it names, keep following each model URI (a new stage/alias
 * target is loaded, then swapped in), and re-apply the endpoints file when it changes.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { runtimeOptions, type ServeConfig } from './config.js';
import { singleModelSpec } from './endpoints/config.js';
import { readConfigFile } from './endpoints/config-file.js';
import { ConfigReloader, type ReloadResult } from './endpoints/config-reloader.js';
import { Gateway } from './endpoints/gateway.js';
import { ModelPool } from './endpoints/model-pool.js';
import { createApp } from './http/app.js';
import { startTracing, stopTracing } from './tracing.js';
import { ListenerDrain } from './http/drain.js';
import { loadAuth } from './http/auth.js';
import { maxConnections, serverOptions } from './http/listener.js';
import { Metrics } from './metrics.js';
import { openRegistryEditor } from './registry/editor.js';
import { RolloutController } from './rollout/controller.js';
import { Dashboard } from './ui/dashboard.js';
import { createProgressReporter, registryOptionsFromEnv, type RegistryOptions } from './registry/index.js';
import type { Follower } from './serving/follower.js';
import { ReplicaPool } from './serving/replicas.js';
import type { ServedModel } from './serving/served-model.js';

export interface RunningServer {
  url: string;
  gateway: Gateway;
  /** the first variant of the default endpoint as started: with `-m URI`, the one model served */
  served: ServedModel;
  follower: Follower;
  /** Resolves once every model serves; rejects on a first load that retrying cannot fix (see Follower.ready). */
  ready: Promise<void>;
  rollouts: RolloutController;
  /** Re-reads the endpoints file and applies it (SIGHUP); `unchanged` without one. */
  reload(): Promise<ReloadResult>;
  /**
   * SIGTERM: /ping answers 503 at once while the listener keeps serving for
   * `shutdownDelaySeconds` (load balancers take the replica out meanwhile), then the listener
   * drains (at most `drainTimeoutSeconds`) and the models are released.
   */
  shutdown(): Promise<void>;
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

/** Starts serving; with `waitForModels` (the default) returns once the models serve, else as soon as the port is bound. */
export async function startServer(config: ServeConfig, env: NodeJS.ProcessEnv, logger: Logger, options: { waitForModels?: boolean } = {}): Promise<RunningServer> {
  if (config.otel) await startTracing(env);
  const registry = registryOptions(config, env, logger);
  const auth = loadAuth(config.auth);
  const metrics = new Metrics();
  const file = config.configPath === null ? null : await readConfigFile(config.configPath);
  const spec = file?.spec ?? singleModelSpec(config.modelUri);
  const replicas = config.workers > 0 ? new ReplicaPool(config.workers, logger) : null;
  const pool = new ModelPool({
    registry,
    logger,
    metrics,
    pollIntervalSeconds: config.pollIntervalSeconds,
    cache: { keep: config.cacheKeep, maxBytes: config.cacheMaxBytes },
    onProgress: createProgressReporter({ stream: process.stderr, logger }),
    replicas,
    runtime: runtimeOptions(config),
  });
  let gateway: Gateway;
  try {
    gateway = Gateway.start(spec, pool, logger);
  } catch (err) {
    await replicas?.close();
    throw err;
  }
  const reloader = file === null ? null : new ConfigReloader(config.configPath!, file.text, gateway, logger, metrics);
  reloader?.watch();
  const first = gateway.endpoints.defaultEndpoint.variants[0]!.model;
  const rollouts = await startRollouts(gateway, registry, metrics, logger).catch(async (err: unknown) => {
    reloader?.stop();
    await gateway.close();
    await replicas?.close();
    throw err;
  });

  const dashboard = new Dashboard(gateway, rollouts);
  const app = createApp({
    gateway,
    metrics,
    logger,
    timeoutSeconds: config.timeoutSeconds,
    maxQueue: config.maxQueue,
    rollouts,
    dashboard,
    maxBodyBytes: config.maxBodyBytes,
    bodyShape: { maxDepth: config.maxJsonDepth, maxElements: config.maxElements },
    auth,
    accessLog: config.accessLog,
  });
  let server: ServerType;
  let drain: ListenerDrain;
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port, serverOptions: serverOptions(config.listener) }, () => resolve(s));
      s.maxConnections = maxConnections(config.listener);
      drain = new ListenerDrain(s as HttpServer);
      s.once('error', reject);
    });
  } catch (err) {
    rollouts.stop();
    dashboard.close();
    reloader?.stop();
    await gateway.close();
    await replicas?.close();
    throw err;
  }
  // Read at scrape time from the drain's own count: nothing added to the request path.
  new Gauge({
    name: 'flowgate_http_requests_in_flight',
    help: 'HTTP requests being answered now, this scrape included (the autoscaling signal of k8s/components/hpa-custom)',
    registers: [metrics.registry],
    collect() {
      this.set(drain.inFlight());
    },
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, `listening on ${url}`);
  gateway.firstLoad.then(() => logServing(gateway, url, logger), () => undefined);
  const running: RunningServer = {
    url,
    gateway,
    served: first.served,
    follower: first.follower,
    ready: gateway.firstLoad,
    rollouts,
    reload: async () => (reloader === null ? { outcome: 'unchanged' } : reloader.reload()),
    async shutdown() {
      gateway.beginDrain();
      logger.info({ inFlight: drain.inFlight(), delaySeconds: config.shutdownDelaySeconds }, 'shutting down: not ready (/ping 503), still serving');
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelaySeconds * 1000));
      reloader?.stop();
      logger.info({ inFlight: drain.inFlight(), drainTimeoutSeconds: config.drainTimeoutSeconds }, 'shutting down: listener closed, draining connections');
      const { cutConnections, cutRequests } = await drain.drain(config.drainTimeoutSeconds * 1000);
      if (cutConnections > 0) logger.warn({ cutConnections, cutRequests }, `drain timeout: closed ${cutConnections} connections with ${cutRequests} requests in flight`);
      await gateway.close();
      await replicas?.close();
      await stopTracing();
      logger.info('shut down');
    },
    async close() {
      rollouts.stop();
      dashboard.close();
      reloader?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      await replicas?.close();
      await stopTracing();
    },
  };
  if (options.waitForModels !== false) {
    try {
      await gateway.firstLoad;
    } catch (err) {
      await running.close();
      throw err;
    }
  }
  return running;
}

/**
 * The rollout controller, after checking that the registry can be written where a rollout
 * keeps its state (a read-only store is refused here, not at the first promotion).
 */
async function startRollouts(gateway: Gateway, registry: RegistryOptions, metrics: Metrics, logger: Logger): Promise<RolloutController> {
  const editor = openRegistryEditor(registry);
  const models = new Set(gateway.endpoints.list.flatMap((e) => (e.rollout === null ? [] : [e.rollout.registeredModel])));
  for (const model of models) await editor.checkWritable(model);
  const controller = new RolloutController({ gateway, editor, metrics, logger });
  controller.start();
  return controller;
}

/** One line per variant: what each endpoint serves, and where. */
function logServing(gateway: Gateway, url: string, logger: Logger): void {
  for (const endpoint of gateway.endpoints.list) {
    const roles = [
      ...endpoint.variants.map((variant) => ({ variant, role: `weight ${variant.weight}` })),
      ...endpoint.shadows.map((variant) => ({ variant, role: `shadow, sample ${variant.sample}` })),
    ];
    for (const { variant, role } of roles) {
      const version = variant.model.served.current();
      if (version === null) continue;
      const { name, version: number } = version.identity;
      logger.info(
        { endpoint: endpoint.name, variant: variant.name, model: name, version: number, uri: variant.uri, flavor: version.flavor, url },
        `serving ${name}${number ? ` version ${number}` : ''} (${version.flavor}) at ${url} as ${endpoint.name}/${variant.name} (${role})`,
      );
    }
  }
}
