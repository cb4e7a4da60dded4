/**
 * MLflow's scoring protocol (spec §1.3–1.10) over HTTP: `/invocations` (the default
 * endpoint) and `/endpoints/{name}/invocations`, a thin codec over the scorer.
 */
import type { Hono } from 'hono';
import type { Gateway } from '../endpoints/gateway.js';
import { MlflowError } from '../errors.js';
import { requestFormat, UnsupportedContentType, type RequestFormat } from '../protocol/content-type.js';
import { SCORING_CODECS } from '../serving/codec.js';
import type { AppEnv } from './context.js';
import { renderMlflowError } from './render.js';
import { headerReader, scoreRoute, type RouteDeps } from './routed.js';

export function invocationRoutes(app: Hono<AppEnv>, gateway: Gateway, deps: RouteDeps): void {
  app.post('/invocations', (c) => {
    const format = formatOf(headerReader(c)('content-type'));
    if (format instanceof Response) return format;
    return scoreRoute(c, { codec: SCORING_CODECS[format], format, render: renderMlflowError, endpoint: () => gateway.endpoints.defaultEndpoint, maxBodyBytes: gateway.endpoints.defaultEndpoint.maxBodyBytes }, deps);
  });
  app.post('/endpoints/:name/invocations', (c) => {
    const format = formatOf(headerReader(c)('content-type'));
    if (format instanceof Response) return format;
    const name = c.req.param('name');
    const endpoint = () => {
      const table = gateway.endpoints;
      return (
        table.byName.get(name) ??
        new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint named '${name}' (endpoints: ${table.list.map((e) => e.name).join(', ')}).`)
      );
    };
    const maxBodyBytes = gateway.endpoints.byName.get(name)?.maxBodyBytes;
    return scoreRoute(c, { codec: SCORING_CODECS[format], format, render: renderMlflowError, endpoint, maxBodyBytes }, deps);
  });
}

/** The body's format, or MLflow's 415 for a content type it does not read. */
function formatOf(contentType: string | undefined): RequestFormat | Response {
  try {
    return requestFormat(contentType);
  } catch (err) {
    if (!(err instanceof UnsupportedContentType)) throw err;
    return new Response(err.message, { status: 415, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
}
