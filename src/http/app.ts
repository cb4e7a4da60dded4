/**
 * The HTTP API of `mlflow models serve` (spec §1.2): /invocations, /ping, /health,
 * /version; plus /metrics. Routes only translate HTTP ⇄ model calls; every error is an
 * MlflowError rendered here.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import { decodeCsvRequest } from '../protocol/csv-request.js';
import { decodeJsonRequest } from '../protocol/json-request.js';
import { requestFormat, UnsupportedContentType } from '../protocol/content-type.js';
import { formatOutput } from '../protocol/json-output.js';
import type { ServedModel } from '../serving/served-model.js';
import type { ModelVersion } from '../serving/model-version.js';
import type { Metrics } from '../metrics.js';
import { FLOWGATE_VERSION } from '../version.js';
import { readBodyText } from './body.js';

export interface AppOptions {
  served: ServedModel;
  metrics: Metrics;
  logger: Logger;
  /** MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT, in seconds */
  timeoutSeconds: number;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const TIMEOUT_BODY = 'Request processing time exceeded limit';

class Timeout extends Error {}

function errorResponse(err: MlflowError): Response {
  return new Response(JSON.stringify(err.toJSON()), { status: err.status, headers: JSON_TYPE });
}

function notReady(): Response {
  return errorResponse(new MlflowError('TEMPORARILY_UNAVAILABLE', 'No model is loaded yet.'));
}

export function createApp({ served, metrics, logger, timeoutSeconds }: AppOptions): Hono {
  const app = new Hono();

  // Request id, access log and metrics around every request.
  app.use('*', async (c, next) => {
    const start = process.hrtime.bigint();
    const requestId = c.req.header('x-request-id') ?? randomUUID();
    await next();
    c.res.headers.set('x-request-id', requestId);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const version = c.get('modelVersion' as never) as ModelVersion | undefined;
    const model = version?.identity.name ?? served.name;
    const modelVersion = version?.identity.version ?? '';
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    const labels = { model, version: modelVersion, route, code: String(c.res.status) };
    metrics.requests.inc(labels);
    metrics.latency.observe(labels, seconds);
    logger.info(
      { reqId: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1e6) / 1e3, model, version: modelVersion },
      'request',
    );
  });

  // /ping is readiness (a model is loaded), /health liveness; both answer MLflow's "\n".
  app.get('/ping', (c: Context) => (served.current() === null ? notReady() : c.body('\n', 200, JSON_TYPE)));
  app.get('/health', (c: Context) => c.body('\n', 200, JSON_TYPE));
  app.get('/version', (c) => c.body(FLOWGATE_VERSION, 200, JSON_TYPE));
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }));

  app.post('/invocations', async (c) => {
    const version = served.current();
    if (version === null) return notReady();
    c.set('modelVersion' as never, version as never);
    c.header('x-flowgate-model', version.identity.name);
    if (version.identity.version !== null) c.header('x-flowgate-version', version.identity.version);
    let format;
    try {
      format = requestFormat(c.req.header('content-type'));
    } catch (err) {
      if (!(err instanceof UnsupportedContentType)) throw err;
      return c.body(err.message, 415, { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    const body = await readBodyText(c);
    const started = performance.now();
    const limitMs = timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    try {
      // The deadline is armed before the work starts: decoding and pure-JS flavors run
      // synchronously, and what they take counts against the limit too.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout()), limitMs);
      });
      const work = (async () => {
        const schema = version.mlmodel.signatureFromTypeHint ? null : (version.signature?.inputs ?? null);
        const request =
          format === 'json'
            ? decodeJsonRequest(body, version.signature)
            : { input: decodeCsvRequest(body, schema), params: null, unwrapped: false };
        const output = await version.predict(request.input, request.params);
        const text = formatOutput(output);
        return request.unwrapped ? text : `{"predictions": ${text}}`;
      })();
      const text = await Promise.race([work, deadline]);
      if (performance.now() - started > limitMs) throw new Timeout();
      return c.body(text, 200, JSON_TYPE);
    } catch (err) {
      if (err instanceof Timeout) return c.body(TIMEOUT_BODY, 504, JSON_TYPE);
      if (err instanceof MlflowError) return errorResponse(err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  });

  app.notFound((c) => {
    const known = KNOWN_ROUTES[c.req.path];
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
    return errorResponse(new MlflowError('INTERNAL_ERROR', `Internal error: ${err.message}`));
  });

  return app;
}

const KNOWN_ROUTES: Record<string, string[]> = {
  '/ping': ['GET', 'HEAD'],
  '/health': ['GET', 'HEAD'],
  '/version': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/invocations': ['POST'],
};
