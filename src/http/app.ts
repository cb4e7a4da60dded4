/**
 * The HTTP API of `mlflow models serve` (spec §1.2): /invocations, /ping, /health,
 * /version; plus /metrics, /endpoints/{name}/invocations, GET /endpoints, /openapi.json and the Open
 * Inference Protocol under /v2. Routes only translate HTTP ⇄ the scorer; errors are
 * rendered in the protocol of the route (V2 bodies under /v2), also for unknown routes,
 * wrong methods (405, from the routes registered here) and our own bugs (500).
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Gateway } from '../endpoints/gateway.js';
import { MlflowError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { Scorer } from '../serving/scorer.js';
import { tracedRequest, tracingEnabled } from '../tracing.js';
import { FLOWGATE_VERSION } from '../version.js';
import type { AppEnv } from './context.js';
import type { Authenticator } from './auth.js';
import type { BodyShapeLimits } from './body-shape.js';
import { describeEndpoints } from './endpoints-list.js';
import { invocationRoutes } from './invocations.js';
import { openApiDocument } from './openapi.js';
import { renderMlflowError, rendererFor } from './render.js';
import { headerReader } from './routed.js';
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
  /** requests in flight per model before 503s */
  maxQueue: number;
  rollouts?: RolloutController;
  /** the /ui dashboard's data, when served */
  dashboard?: Dashboard;
  /** --max-body-size, in bytes: larger bodies get 413 */
  maxBodyBytes: number;
  /** --max-json-depth, --max-elements: larger bodies get 400 */
  bodyShape: BodyShapeLimits;
  /** the credentials of the inference routes and of /metrics; none configured leaves the routes open */
  auth: Authenticator;
  /** --access-log: a line per request (all), per failed request (errors: status >= 400), or none */
  accessLog: 'all' | 'errors' | 'off';
  /**
   * The routes of this listener: all of them, or with --admin-port the serving routes
   * (MLflow, V2, feedback) on the main port and the admin routes (/metrics, GET /endpoints,
   * /admin/*, /ui) on the admin port; both answer the probes.
   */
  surface: 'all' | 'serving' | 'admin';
  /** --public-openapi: /openapi.json without credentials */
  publicOpenapi: boolean;
  /** --admin-port as bound (0 resolved to the port the system picked), named in /openapi.json */
  adminPort: () => number | null;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

export function createApp({ gateway, metrics, logger, timeoutSeconds, maxQueue, rollouts, dashboard, maxBodyBytes, bodyShape, auth, accessLog, surface, publicOpenapi, adminPort }: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const deps = { scorer: new Scorer({ metrics, logger, timeoutSeconds, maxQueue }), metrics, logger, maxBodyBytes, bodyShape };
  if (tracingEnabled()) app.use('*', (c, next) => tracedRequest(c.req.method, c.req.path, (h) => c.req.header(h), next, () => ({ status: c.res.status, route: c.req.routePath })));

  // Request id, access log and metrics around every request.
  app.use('*', async (c, next) => {
    const start = process.hrtime.bigint();
    const requestId = headerReader(c)('x-request-id') ?? randomUUID(); // c.req.header() would build a web Headers per request
    c.set('requestId', requestId);
    await next();
    if (c.get('requestIdSent') !== true) c.res.headers.set('x-request-id', requestId);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const version = c.get('answered')?.version;
    const model = version?.identity.name ?? '';
    const modelVersion = version?.identity.version ?? '';
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    metrics.observeRequest(model, modelVersion, route, c.res.status, seconds);
    if (accessLog === 'off' || (accessLog === 'errors' && c.res.status < 400)) return;
    logger.info(
      { reqId: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1e6) / 1e3, model, version: modelVersion },
      'request',
    );
  });

  const inference = auth.inference(gateway);
  app.use('/invocations', inference);
  app.use('/endpoints', inference);
  app.use('/endpoints/*', inference);
  app.use('/v2/*', async (c, next) => (c.req.path.startsWith('/v2/health/') ? next() : inference(c, next)));
  app.use('/v2', inference);
  app.use('/admin/*', inference);
  if (!publicOpenapi) app.use('/openapi.json', inference);
  const monitoring = auth.metrics();
  app.use('/metrics', monitoring);
  app.use('/ui', monitoring);
  app.use('/ui/*', monitoring);

  // /ping is readiness (a model is loaded), /health liveness; both answer MLflow's "\n".
  app.get('/ping', (c) => (gateway.ready() ? c.body('\n', 200, JSON_TYPE) : renderMlflowError(new MlflowError('TEMPORARILY_UNAVAILABLE', 'No model is loaded yet.'))));
  app.get('/health', (c) => c.body('\n', 200, JSON_TYPE));
  app.get('/version', (c) => c.body(FLOWGATE_VERSION, 200, JSON_TYPE));

  if (surface !== 'serving') {
    app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }));
    app.get('/endpoints', (c) => c.json(describeEndpoints(gateway.endpoints, rollouts)));
    app.get('/openapi.json', (c) => c.json(openApiDocument(gateway.endpoints, { auth: auth.schemes(), publicOpenapi, adminPort: adminPort() })));
    if (rollouts !== undefined) rolloutRoutes(app, rollouts);
    if (dashboard !== undefined) uiRoutes(app, dashboard);
  }
  if (surface !== 'admin') {
    invocationRoutes(app, gateway, deps);
    feedbackRoutes(app, gateway, metrics, maxBodyBytes);
    v2Routes(app, gateway, deps);
  }

  const allowed = allowedMethods(app);
  app.notFound((c) => {
    const known = allowed(c.req.path);
    const render = rendererFor(c.req.path);
    if (known === undefined) return render(new MlflowError('ENDPOINT_NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`));
    const message = `Method ${c.req.method} is not allowed for ${c.req.path}. Allowed: ${known.join(', ')}.`;
    return render(new MlflowError('BAD_REQUEST', message, { status: 405 }), { 'Content-Type': 'application/json', Allow: known.join(', ') });
  });

  app.onError((err, c) => {
    metrics.internalErrors.inc();
    logger.error({ err, reqId: c.get('requestId'), path: c.req.path }, 'internal error');
    return rendererFor(c.req.path)(new MlflowError('INTERNAL_ERROR', `Internal error: ${err.message}`));
  });

  return app;
}

/**
 * The methods each registered path takes (GET also answers HEAD), read from the app's own
 * routes, so a 405 can name them; undefined for a path no route matches.
 */
function allowedMethods(app: Hono<AppEnv>): (path: string) => string[] | undefined {
  const byPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue; // middleware
    const source = `^${route.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}$`;
    const entry = byPattern.get(source) ?? { pattern: new RegExp(source), methods: new Set<string>() };
    entry.methods.add(route.method);
    if (route.method === 'GET') entry.methods.add('HEAD');
    byPattern.set(source, entry);
  }
  const table = [...byPattern.values()].map(({ pattern, methods }) => ({ pattern, methods: [...methods] }));
  return (path) => table.find(({ pattern }) => pattern.test(path))?.methods;
}
