/**
 * The Open Inference Protocol (V2) REST API over the same endpoints: `{name}` is an
 * endpoint (routed like /invocations: forced variant, sticky key, weights, shadows) and
 * `versions/{v}` pins the variant serving registry version v. Inference is a thin codec
 * over the scorer; errors are `{"error": "..."}`. The binary tensor data extension
 * (Inference-Header-Content-Length) carries inputs and outputs as raw bytes after the JSON.
 */
import type { Context, Hono } from 'hono';
import type { Endpoint } from '../endpoints/endpoint.js';
import type { Gateway } from '../endpoints/gateway.js';
import { MlflowError } from '../errors.js';
import { modelMetadata } from '../protocol/v2-metadata.js';
import { V2_CODEC } from '../serving/codec.js';
import type { LoadedVersion } from '../serving/loaded-version.js';
import { FLOWGATE_VERSION } from '../version.js';
import type { AppEnv } from './context.js';
import { renderV2Error } from './render.js';
import { headerReader, scoreRoute, type RouteDeps } from './routed.js';

type V2Context = Context<AppEnv, '/v2/models/:name' | '/v2/models/:name/versions/:version'>;

/** The endpoint named in the path, or V2's 404. */
function endpointOf(gateway: Gateway, name: string): Endpoint | MlflowError {
  const table = gateway.endpoints;
  return table.byName.get(name) ?? new MlflowError('RESOURCE_DOES_NOT_EXIST', `Model '${name}' is not served here (models: ${table.list.map((e) => e.name).join(', ')}).`);
}

/** The version a metadata request describes: the pinned one, or the one routing picks. */
function describedVersion(c: V2Context, endpoint: Endpoint, pinned: string | undefined): LoadedVersion | MlflowError {
  try {
    const variant = pinned !== undefined ? endpoint.pinnedVariant(pinned) : endpoint.route(headerReader(c));
    return variant.model.served.current() ?? new MlflowError('TEMPORARILY_UNAVAILABLE', `Model '${endpoint.name}' is not loaded yet.`);
  } catch (err) {
    if (err instanceof MlflowError) return err;
    throw err;
  }
}

export function v2Routes(app: Hono<AppEnv>, gateway: Gateway, deps: RouteDeps): void {
  app.get('/v2', (c) => c.json({ name: 'flowgate', version: FLOWGATE_VERSION, extensions: ['binary_tensor_data'] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => {
    const ready = gateway.ready();
    return c.json({ ready }, ready ? 200 : 503);
  });

  const metadata = (c: V2Context) => {
    const endpoint = endpointOf(gateway, c.req.param('name'));
    if (endpoint instanceof MlflowError) return renderV2Error(endpoint);
    const pinned = c.req.param('version');
    const version = describedVersion(c, endpoint, pinned);
    if (version instanceof MlflowError) return renderV2Error(version);
    const versions = pinned !== undefined ? [pinned] : endpoint.servedVersions();
    return c.json(modelMetadata(endpoint.name, versions, version.flavor, version.signature));
  };
  app.get('/v2/models/:name', metadata);
  app.get('/v2/models/:name/versions/:version', metadata);

  const ready = (c: V2Context) => {
    const endpoint = endpointOf(gateway, c.req.param('name'));
    if (endpoint instanceof MlflowError) return renderV2Error(endpoint);
    const pinned = c.req.param('version');
    if (pinned !== undefined) {
      const version = describedVersion(c, endpoint, pinned);
      return version instanceof MlflowError ? renderV2Error(version) : c.json({ name: endpoint.name, ready: true });
    }
    const isReady = endpoint.ready();
    return c.json({ name: endpoint.name, ready: isReady }, isReady ? 200 : 503);
  };
  app.get('/v2/models/:name/ready', ready);
  app.get('/v2/models/:name/versions/:version/ready', ready);

  const infer = (c: V2Context) => {
    const name = c.req.param('name');
    const maxBodyBytes = gateway.endpoints.byName.get(name)?.maxBodyBytes;
    const route = { codec: V2_CODEC, format: 'json', render: renderV2Error, endpoint: () => endpointOf(gateway, name), pinned: c.req.param('version'), maxBodyBytes, binaryHeader: 'inference-header-content-length' } as const;
    return scoreRoute(c, route, deps);
  };
  app.post('/v2/models/:name/infer', infer);
  app.post('/v2/models/:name/versions/:version/infer', infer);
}
