/**
 * The tracking-server HTTP client against real HTTP(S) servers on 127.0.0.1: auth from
 * the environment, retries, the errors a user sees, TLS settings, redirects.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrackingServerClient } from '../../src/artifacts/http-client.js';
import { MlflowError } from '../../src/errors.js';
import { captureLogger, options, tempDir } from '../registry/fixture.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  url: string;
  seen: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<TestServer> {
  const seen: http.IncomingHttpHeaders[] = [];
  const onRequest: Handler = (req, res) => {
    seen.push(req.headers);
    handler(req, res);
  };
  const server = tls === undefined ? http.createServer(onRequest) : https.createServer(tls, onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const s: TestServer = {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  servers.push(s);
  return s;
}

const json = (status: number, body: unknown): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

const log = captureLogger();
const tmp = tempDir('http');
afterAll(() => tmp.cleanup());

function client(url: string, env: Record<string, string> = {}): TrackingServerClient {
  const opts = options(url, tmp.dir, log.logger, { MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0', ...env });
  return new TrackingServerClient(url, opts.http, log.logger);
}

async function failure(promise: Promise<unknown>): Promise<MlflowError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MlflowError);
  return err as MlflowError;
}

describe('authentication', () => {
  it('sends basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD, which wins over a token', async () => {
    const s = await serve(json(200, {}));
    await client(s.url, { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw', MLFLOW_TRACKING_TOKEN: 'tok' }).getJson('/x');
    expect(s.seen[0]!.authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
  });

  it('sends a bearer token from MLFLOW_TRACKING_TOKEN', async () => {
    const s = await serve(json(200, {}));
    await client(s.url, { MLFLOW_TRACKING_TOKEN: 'tok' }).getJson('/x');
    expect(s.seen[0]!.authorization).toBe('Bearer tok');
  });

  it('reads ~/.mlflow/credentials when the variables are unset', async () => {
    const home = join(tmp.dir, 'home');
    mkdirSync(join(home, '.mlflow'), { recursive: true });
    writeFileSync(join(home, '.mlflow', 'credentials'), '[mlflow]\nmlflow_tracking_username = bob\nmlflow_tracking_password = secret\n');
    const s = await serve(json(200, {}));
    await client(s.url, { HOME: home }).getJson('/x');
    expect(s.seen[0]!.authorization).toBe(`Basic ${Buffer.from('bob:secret').toString('base64')}`);
  });

  it('sends nothing without credentials', async () => {
    const s = await serve(json(200, {}));
    await client(s.url, { HOME: join(tmp.dir, 'nohome') }).getJson('/x');
    expect(s.seen[0]!.authorization).toBeUndefined();
  });

  it('401 says which credentials were refused, without echoing them', async () => {
    const s = await serve((_req, res) => res.writeHead(401).end('You are not authenticated.'));
    const err = await failure(client(s.url, { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'hunter2' }).getJson('/api/2.0/mlflow/x'));
    expect(err.errorCode).toBe('UNAUTHENTICATED');
    expect(err.status).toBe(401);
    expect(err.message).toContain('MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD credentials were rejected');
    expect(err.message).not.toContain('hunter2');
    const anonymous = await failure(client(s.url, { HOME: join(tmp.dir, 'nohome') }).getJson('/x'));
    expect(anonymous.message).toContain('no credentials were sent');
  });

  it('403 is PERMISSION_DENIED', async () => {
    const s = await serve(json(403, { error_code: 'PERMISSION_DENIED', message: 'Permission denied' }));
    const err = await failure(client(s.url, { MLFLOW_TRACKING_TOKEN: 't' }).getJson('/api/2.0/mlflow/x'));
    expect([err.errorCode, err.status]).toEqual(['PERMISSION_DENIED', 403]);
    expect(err.message).toContain('lack permission');
  });

  it('does not forward credentials to a redirect on another origin', async () => {
    const other = await serve(json(200, { ok: true }));
    const s = await serve((_req, res) => res.writeHead(302, { location: `${other.url}/y` }).end());
    expect(await client(s.url, { MLFLOW_TRACKING_TOKEN: 'tok' }).getJson('/x')).toEqual({ ok: true });
    expect(s.seen[0]!.authorization).toBe('Bearer tok');
    expect(other.seen[0]!.authorization).toBeUndefined();
  });
});

describe('errors and retries', () => {
  it('an MLflow error body keeps its error_code and message', async () => {
    const s = await serve(json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=x not found' }));
    const err = await failure(client(s.url).getJson('/api/2.0/mlflow/registered-models/get'));
    expect([err.errorCode, err.status, err.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 404, 'Registered Model with name=x not found']);
  });

  it('a bare 404 asks whether this is an MLflow server (serving artifacts)', async () => {
    const s = await serve((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    const err = await failure(client(s.url).getJson('/api/2.0/mlflow-artifacts/artifacts'));
    expect(err.errorCode).toBe('ENDPOINT_NOT_FOUND');
    expect(err.message).toContain('--serve-artifacts');
  });

  it('retries 5xx answers, then succeeds', async () => {
    let calls = 0;
    const s = await serve((req, res) => {
      calls += 1;
      if (calls <= 2) res.writeHead(calls === 1 ? 503 : 502).end();
      else json(200, { ok: true })(req, res);
    });
    expect(await client(s.url).postJson('/x', { a: 1 })).toEqual({ ok: true });
    expect(calls).toBe(3);
  });

  it('gives up after MLFLOW_HTTP_REQUEST_MAX_RETRIES', async () => {
    const s = await serve((_req, res) => res.writeHead(500).end('boom'));
    const err = await failure(client(s.url, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' }).getJson('/x'));
    expect(s.seen).toHaveLength(3);
    expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.message).toContain('HTTP 500');
  });

  it('does not retry a 400', async () => {
    const s = await serve(json(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad' }));
    await failure(client(s.url).getJson('/x'));
    expect(s.seen).toHaveLength(1);
  });

  it('retries connection errors and then names the server it could not reach', async () => {
    const s = await serve(json(200, {}));
    const url = s.url;
    await s.close();
    const err = await failure(client(url, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' }).getJson('/x'));
    expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.message).toContain(`Could not reach the tracking server at ${url}`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('after 2 retries');
  });

  it('a server that never answers times out', async () => {
    const s = await serve(() => undefined);
    const opts = options(s.url, tmp.dir, log.logger, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    const err = await failure(new TrackingServerClient(s.url, { ...opts.http, timeoutMs: 200 }, log.logger).getJson('/x'));
    expect(err.message).toContain('no answer within 0.2 s');
  });
});

const HAVE_OPENSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!HAVE_OPENSSL)('TLS', () => {
  let tls: { key: Buffer; cert: Buffer };
  let certPath = '';
  beforeAll(() => {
    const dir = join(tmp.dir, 'tls');
    mkdirSync(dir);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    certPath = join(dir, 'cert.pem');
    tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(certPath) };
  });

  it('refuses an unknown certificate and says how to trust it', async () => {
    const s = await serve(json(200, { ok: true }), tls);
    const err = await failure(client(s.url).getJson('/x'));
    expect(err.message).toContain('MLFLOW_TRACKING_SERVER_CERT_PATH');
    expect(s.seen).toHaveLength(0);
  });

  it('trusts the CA bundle in MLFLOW_TRACKING_SERVER_CERT_PATH', async () => {
    const s = await serve(json(200, { ok: true }), tls);
    expect(await client(s.url, { MLFLOW_TRACKING_SERVER_CERT_PATH: certPath }).getJson('/x')).toEqual({ ok: true });
  });

  it('skips verification with MLFLOW_TRACKING_INSECURE_TLS=true', async () => {
    const s = await serve(json(200, { ok: true }), tls);
    expect(await client(s.url, { MLFLOW_TRACKING_INSECURE_TLS: 'true' }).getJson('/x')).toEqual({ ok: true });
  });
});
