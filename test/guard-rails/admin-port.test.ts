/**
 * --admin-port on a real server: /metrics, GET /endpoints, /admin/*, /ui (and /openapi.json)
 * answer on the admin listener only, the serving routes on the main one only, probes on
 * both; the admin routes keep their credentials there; a shutdown drains and closes both.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
const ADMIN_ROUTES = ['/metrics', '/endpoints', '/openapi.json', '/ui', '/admin/rollouts/iris'];

describe('--admin-port', () => {
  let root: string;
  let server: RunningServer;
  beforeAll(async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', adminPort: '0', shutdownDelay: '0', metricsToken: 'metrics-token-0123456789' }, { FLOWGATE_AUTH_TOKENS: 'inference-token-0123456789' });
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const get = (url: string, token?: string) => fetch(url, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
  const tokenFor = (path: string) => (path === '/metrics' || path === '/ui' ? 'metrics-token-0123456789' : 'inference-token-0123456789');

  test('the admin routes answer on the admin port only, with their own credentials', async () => {
    expect(server.adminUrl).not.toBeNull();
    expect(server.adminUrl).not.toBe(server.url);
    for (const path of ADMIN_ROUTES) {
      const main = await get(`${server.url}${path}`, tokenFor(path));
      expect(main.status, `main ${path}`).toBe(404);
      expect(await main.text()).toContain('No route for GET');
      expect((await get(`${server.adminUrl}${path}`)).status, `admin ${path} without a token`).toBe(401);
      const admin = await get(`${server.adminUrl}${path}`, tokenFor(path));
      // iris has no rollout: its route answers that (404 RESOURCE_DOES_NOT_EXIST), not "no route"
      if (path.startsWith('/admin/')) expect(await admin.text()).not.toContain('No route for');
      else expect(admin.status, `admin ${path}`).toBe(200);
    }
    // /openapi.json names the port the admin listener bound (asked for 0 here), not the 0
    const openapi = await (await get(`${server.adminUrl}/openapi.json`, 'inference-token-0123456789')).text();
    expect(openapi).toContain(`Served on the admin port (${new URL(server.adminUrl!).port})`);
    expect(openapi).not.toContain('admin port (0)');
    const metrics = await (await get(`${server.adminUrl}/metrics`, 'metrics-token-0123456789')).text();
    expect(metrics).toContain('flowgate_http_requests_in_flight');
  });

  test('the serving routes answer on the main port only; probes on both', async () => {
    const invoke = (base: string) => fetch(`${base}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer inference-token-0123456789' }, body: BODY });
    expect((await invoke(server.url)).status).toBe(200);
    expect((await invoke(server.adminUrl!)).status).toBe(404);
    for (const base of [server.url, server.adminUrl!]) {
      expect((await fetch(`${base}/ping`)).status).toBe(200);
      expect((await fetch(`${base}/health`)).status).toBe(200);
    }
  });

  test('a shutdown closes both listeners', async () => {
    const other = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', adminPort: '0', shutdownDelay: '0' });
    expect((await fetch(`${other.adminUrl}/metrics`)).status).toBe(200);
    await other.shutdown();
    await expect(fetch(`${other.adminUrl}/metrics`)).rejects.toThrow();
    await expect(fetch(`${other.url}/ping`)).rejects.toThrow();
  });
});
