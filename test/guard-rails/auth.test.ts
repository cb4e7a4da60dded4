/**
 * Bearer-token auth on a real server: inference routes (MLflow, endpoints, V2) need a
 * token from the token file or FLOWGATE_AUTH_TOKENS, probes stay open, /metrics takes its
 * own token; refusals are 401 with WWW-Authenticate in the route's protocol, counted by
 * reason in flowgate_auth_failures_total. Without tokens every route is open.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
const V2_BODY = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

describe('bearer tokens', () => {
  let root: string;
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    root = copyExampleRegistry();
    dir = mkdtempSync(join(tmpdir(), 'flowgate-auth-'));
    writeFileSync(join(dir, 'tokens'), '# team tokens\nfile-token-1\n\nfile-token-2\n');
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', authTokenFile: join(dir, 'tokens'), metricsToken: 'metrics-secret' }, { FLOWGATE_AUTH_TOKENS: 'env-token-a, env-token-b' });
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: string, token?: string) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) }, body });

  test('tokens from the file and from the environment are accepted on every inference route', async () => {
    for (const token of ['file-token-1', 'file-token-2', 'env-token-a', 'env-token-b']) {
      expect((await post('/invocations', BODY, token)).status).toBe(200);
    }
    expect((await post('/endpoints/iris/invocations', BODY, 'env-token-a')).status).toBe(200);
    expect((await post('/v2/models/iris/infer', V2_BODY, 'file-token-1')).status).toBe(200);
  });

  test('the dashboard takes the metrics token, the rollout admin routes an inference token', async () => {
    const get = (path: string, token?: string) => fetch(`${server.url}${path}`, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
    expect((await get('/ui')).status).toBe(401);
    expect((await get('/ui', 'file-token-1')).status).toBe(401);
    expect((await get('/ui', 'metrics-secret')).status).toBe(200);
    expect((await get('/ui/assets/uplot.js')).status).toBe(401);
    expect((await get('/admin/rollouts/iris')).status).toBe(401);
    expect((await get('/admin/rollouts/iris', 'env-token-b')).status).not.toBe(401);
  });

  test('no token or a wrong one: 401 with WWW-Authenticate, MLflow shape (V2 shape on /v2)', async () => {
    const missing = await post('/invocations', BODY);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="flowgate"');
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('UNAUTHENTICATED');
    const wrong = await post('/endpoints/iris/invocations', BODY, 'file-token-1x');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="flowgate", error="invalid_token"');
    const v2 = await post('/v2/models/iris/infer', V2_BODY, 'nope');
    expect(v2.status).toBe(401);
    expect(Object.keys((await v2.json()) as object)).toEqual(['error']);
    expect((await fetch(`${server.url}/endpoints`)).status).toBe(401);
    expect((await fetch(`${server.url}/v2/models/iris`)).status).toBe(401);
    // an inference token is not a metrics token
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer file-token-1' } })).status).toBe(401);
  });

  test('probes stay open', async () => {
    for (const path of ['/ping', '/health', '/v2/health/live', '/v2/health/ready']) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
  });

  test('/metrics takes its own token and counts failures by reason, never with the secret', async () => {
    await fetch(`${server.url}/invocations`, { method: 'POST', headers: { Authorization: 'Basic Zm9vOmJhcg==' }, body: BODY });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer metrics-secret' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/flowgate_auth_failures_total\{reason="missing"\} [1-9]/);
    expect(text).toMatch(/flowgate_auth_failures_total\{reason="invalid"\} [1-9]/);
    expect(text).toMatch(/flowgate_auth_failures_total\{reason="malformed"\} 1/);
    expect(text).not.toContain('file-token-1x');
  });

  test('a token file that cannot be read fails the start with a clear error', async () => {
    await expect(startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', authTokenFile: join(dir, 'absent') })).rejects.toThrow(/cannot read the auth token file .*absent/);
  });
});

describe('without tokens', () => {
  test('every route is open (auth is off by default)', async () => {
    const root = copyExampleRegistry();
    const server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0' });
    try {
      const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY });
      expect(res.status).toBe(200);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
