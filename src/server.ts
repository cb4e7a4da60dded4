/**
 * Composition root of `flowgate serve`: read what to serve (`-m URI`, or an endpoints file),
 * bind the port at once (/health answers while models load; /ping says 503 until they
 * serve), load every model it names, keep following each model URI (a new stage/alias
 * target is loaded, then swapped in), and re-apply the endpoints file when it changes.
 */
import type { ServerType } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { runtimeOptions, type ServeConfig } from './config.js';
import { singleModelSpec } from './endpoints/config.js';
import { readConfigFile } from './endpoints/config-file.js';
import { ConfigReloader, type ReloadResult } from './endpoints/config-reloader.js';
import { Gateway } from './endpoints/gateway.js';
import { ModelPool } from './endpoints/model-pool.js';
import { createApp } from './http/app.js';
import { startTracing, stopTracing } from './tracing.js';
import { ListenerDrain } from './http/drain.js';
import { Authenticator } from './http/auth.js';
import { countRefusals, listen, reloadTls } from './http/listener.js';
import { Metrics } from './metrics.js';
import { openRegistryEditor } from './registry/editor.js';
import { RolloutController } from './rollout/controller.js';
import { Dashboard } from './ui/dashboard.js';
import { createProgressReporter, registryOptionsFromEnv, type RegistryOptions } from './registry/index.js';
import type { Follower } from './serving/follower.js';
import { ReplicaPool } from './serving/replicas.js';
import type { ServedModel } from './serving/served-model.js';

export interface RunningServer {
  /** http://host:port, https:// with TLS */
  url: string;
  /** the --admin-port listener's URL, or null (the admin routes are on `url`) */
  adminUrl: string | null;
  gateway: Gateway;
  /** the first variant of the default endpoint as started: with `-m URI`, the one model served */
  served: ServedModel;
  follower: Follower;
  /** Resolves once every model serves; rejects on a first load that retrying cannot fix (see Follower.ready). */
  ready: Promise<void>;
  rollouts: RolloutController;
  /** SIGHUP: re-reads the credentials' files, and the endpoints file and applies it (`unchanged` without one). */
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
  const metrics = new Metrics();
  const auth = new Authenticator(
    config.auth,
    metrics.authFailures,
    new Counter({ name: 'flowgate_auth_bcrypt_checks_total', help: 'bcrypt comparisons run for basic auth (a success is cached, so a known client costs one)', registers: [metrics.registry] }),
  );
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
  let server: ServerType | undefined;
  let admin: ServerType | null = null;
  const appOptions = {
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
    publicOpenapi: config.publicOpenapi,
    adminPort: () => (admin === null ? config.adminPort : (admin.address() as AddressInfo).port),
  };
  const app = createApp({ ...appOptions, surface: config.adminPort === null ? 'all' : 'serving' });
  try {
    server = await listen(app.fetch, config.host, config.port, config.listener, config.tls);
    countRefusals(server as HttpServer, metrics, config.listener.headerTimeoutSeconds);
    if (config.adminPort !== null) admin = await listen(createApp({ ...appOptions, surface: 'admin' }).fetch, config.host, config.adminPort, config.listener, null);
  } catch (err) {
    server?.close();
    rollouts.stop();
    dashboard.close();
    reloader?.stop();
    await gateway.close();
    await replicas?.close();
    throw err;
  }
  const drain = new ListenerDrain(server as HttpServer);
  const adminDrain = admin === null ? null : new ListenerDrain(admin as HttpServer);
  // Read at scrape time from the drain's own count: nothing added to the request path.
  new Gauge({
    name: 'flowgate_http_requests_in_flight',
    help: 'HTTP requests being answered now, this scrape included (the autoscaling signal of k8s/components/hpa-custom)',
    registers: [metrics.registry],
    collect() {
      this.set(drain.inFlight());
    },
  });
  const url = urlOf(server, config.tls !== null);
  const adminUrl = admin === null ? null : urlOf(admin, false);
  logger.info({ url, adminUrl }, `listening on ${url}${adminUrl === null ? '' : `, admin routes on ${adminUrl}`}`);
  gateway.firstLoad.then(() => logServing(gateway, url, logger), () => undefined);
  /** SIGHUP: the credentials' files again; what cannot be read is logged and the old ones stay. */
  const reloadFiles = () => {
    try {
      auth.reload();
    } catch (err) {
      logger.error({ err }, `SIGHUP: credentials kept: ${(err as Error).message}`);
    }
    if (config.tls === null) return;
    try {
      reloadTls(server, config.tls);
      logger.info({ cert: config.tls.cert }, 'SIGHUP: TLS certificate reloaded for new connections');
    } catch (err) {
      logger.error({ err }, `SIGHUP: TLS certificate kept: ${(err as Error).message}`);
    }
  };
  const running: RunningServer = {
    url,
    adminUrl,
    gateway,
    served: first.served,
    follower: first.follower,
    ready: gateway.firstLoad,
    rollouts,
    reload: async () => {
      reloadFiles();
      return reloader === null ? { outcome: 'unchanged' } : reloader.reload();
    },
    async shutdown() {
      gateway.beginDrain();
      logger.info({ inFlight: drain.inFlight(), delaySeconds: config.shutdownDelaySeconds }, 'shutting down: not ready (/ping 503), still serving');
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelaySeconds * 1000));
      reloader?.stop();
      logger.info({ inFlight: drain.inFlight(), drainTimeoutSeconds: config.drainTimeoutSeconds }, 'shutting down: listener closed, draining connections');
      const [{ cutConnections, cutRequests }] = await Promise.all([drain.drain(config.drainTimeoutSeconds * 1000), adminDrain?.drain(config.drainTimeoutSeconds * 1000)]);
      if (cutConnections > 0) logger.warn({ cutConnections, cutRequests }, `drain timeout: closed ${cutConnections} connections with ${cutRequests} requests in flight`);
      await gateway.close();
      await replicas?.close();
      auth.close();
      await stopTracing();
      logger.info('shut down');
    },
    async close() {
      rollouts.stop();
      dashboard.close();
      reloader?.stop();
      await Promise.all([server, admin].map((s) => new Promise<void>((resolve) => (s === null ? resolve() : s.close(() => resolve())))));
      await gateway.close();
      await replicas?.close();
      auth.close();
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

function urlOf(server: ServerType, tls: boolean): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
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
