/**
 * The HTTP API of `mlflow models serve` (spec §1.2): /invocations, /ping, /health,
 * /version; plus /metrics, /endpoints/{name}/invocations, GET /endpoints and the Open
 * Inference Protocol under /v2. Routes only translate HTTP ⇄ model calls; every error is
 * an MlflowError rendered here (as `{"error": ...}` under /v2).
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { Gateway } from '../endpoints/gateway.js';
import { MlflowError } from '../errors.js';
import type { ModelVersion } from '../serving/model-version.js';
import type { Metrics } from '../metrics.js';
import { FLOWGATE_VERSION } from '../version.js';
import { describeEndpoints } from './endpoints-list.js';
import { invocations, mlflowErrorResponse, notReady } from './invocations.js';
import { v2Routes } from './v2.js';
import type { RolloutController } from '../rollout/controller.js';
import { rolloutRoutes } from './rollout-routes.js';
import { feedbackRoutes } from './feedback-routes.js';
import type { Dashboard } from '../ui/dashboard.js';
import { uiRoutes } from './ui-routes.js';

export interface AppOptions {
  gateway: Gateway;
  metrics: Metrics;
  logger: Logger;
  /** MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT, in seconds */
  timeoutSeconds: number;
  rollouts?: RolloutController;
  /** the /ui dashboard's data, when served */
  dashboard?: Dashboard;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

export function createApp({ gateway, metrics, logger, timeoutSeconds, rollouts, dashboard }: AppOptions): Hono {
  const app = new Hono();
  const deps = { metrics, logger, timeoutSeconds };

  // Request id, access log and metrics around every request.
  app.use('*', async (c, next) => {
    const start = process.hrtime.bigint();
    const requestId = c.req.header('x-request-id') ?? randomUUID();
    c.set('requestId' as never, requestId as never);
    await next();
    if (c.get('requestIdSent' as never) !== true) c.res.headers.set('x-request-id', requestId);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const version = c.get('modelVersion' as never) as ModelVersion | undefined;
    const model = version?.identity.name ?? '';
    const modelVersion = version?.identity.version ?? '';
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    metrics.observeRequest(model, modelVersion, route, c.res.status, seconds);
    logger.info(
      { reqId: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1e6) / 1e3, model, version: modelVersion },
      'request',
    );
  });

  // /ping is readiness (a model is loaded), /health liveness; both answer MLflow's "\n".
  app.get('/ping', (c: Context) => (gateway.ready() ? c.body('\n', 200, JSON_TYPE) : notReady()));
  app.get('/health', (c: Context) => c.body('\n', 200, JSON_TYPE));
  app.get('/version', (c) => c.body(FLOWGATE_VERSION, 200, JSON_TYPE));
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }));

  app.post('/invocations', (c) => invocations(c, gateway.endpoints.defaultEndpoint, deps));
  app.post('/endpoints/:name/invocations', (c) => {
    const name = c.req.param('name');
    const endpoint = gateway.endpoints.byName.get(name);
    if (endpoint === undefined) {
      const known = gateway.endpoints.list.map((e) => e.name).join(', ');
      return mlflowErrorResponse(new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint named '${name}' (endpoints: ${known}).`));
    }
    return invocations(c, endpoint, deps);
  });
  app.get('/endpoints', (c) => c.json(describeEndpoints(gateway.endpoints, rollouts)));
  if (rollouts !== undefined) rolloutRoutes(app, rollouts);
  feedbackRoutes(app, gateway, metrics);
  if (dashboard !== undefined) uiRoutes(app, dashboard);
  v2Routes(app, gateway, deps);

  app.notFound((c) => {
    const known = allowedMethods(c.req.path);
    if (c.req.path === '/v2' || c.req.path.startsWith('/v2/')) {
      if (known !== undefined) return c.json({ error: `Method ${c.req.method} is not allowed for ${c.req.path}. Allowed: ${known.join(', ')}.` }, 405, { Allow: known.join(', ') });
      return c.json({ error: `No route for ${c.req.method} ${c.req.path}.` }, 404);
    }
    if (known !== undefined) {
      return c.json(
        { error_code: 'BAD_REQUEST', message: `Method ${c.req.method} is not allowed for ${c.req.path}. Allowed: ${known.join(', ')}.` },
        405,
        { Allow: known.join(', ') },
      );
    }
    return c.json({ error_code: 'ENDPOINT_NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}.` }, 404);
  });

  app.onError((err, c) => {
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return mlflowErrorResponse(new MlflowError('INTERNAL_ERROR', `Internal error: ${err.message}`));
  });

  return app;
}

const KNOWN_ROUTES: Record<string, string[]> = {
  '/ping': ['GET', 'HEAD'],
  '/health': ['GET', 'HEAD'],
  '/version': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/invocations': ['POST'],
  '/endpoints': ['GET', 'HEAD'],
  '/v2': ['GET', 'HEAD'],
  '/v2/health/live': ['GET', 'HEAD'],
  '/v2/health/ready': ['GET', 'HEAD'],
  '/ui': ['GET', 'HEAD'],
  '/ui/events': ['GET', 'HEAD'],
};

/** Paths with a parameter, and the methods they take. */
const KNOWN_PATTERNS: [RegExp, string[]][] = [
  [/^\/endpoints\/[^/]+\/invocations$/, ['POST']],
  [/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/, ['POST']],
  [/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?(\/ready)?$/, ['GET', 'HEAD']],
  [/^\/(endpoints|v2\/models)\/[^/]+\/feedback$/, ['POST']],
  [/^\/admin\/rollouts\/[^/]+$/, ['GET', 'HEAD']],
  [/^\/admin\/rollouts\/[^/]+\/(pause|resume|abort)$/, ['POST']],
];

function allowedMethods(path: string): string[] | undefined {
  return KNOWN_ROUTES[path] ?? KNOWN_PATTERNS.find(([pattern]) => pattern.test(path))?.[1];
}
