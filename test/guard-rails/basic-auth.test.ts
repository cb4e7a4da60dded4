/**
 * HTTP basic auth on a real server, against bcrypt hashes from an htpasswd file (the `$2y$`
 * prefix `htpasswd -B` writes) and from FLOWGATE_AUTH_TOKENS: accepted on the inference
 * routes beside bearer tokens; a success is cached (one bcrypt run for many requests, shown
 * by flowgate_auth_bcrypt_checks_total); the check runs off the event loop (probes answer
 * while a slow hash is being checked); refusals carry both challenges, in the route's
 * protocol; the file is re-read on SIGHUP; hashes that are not bcrypt are refused at start.
 */
import bcrypt from 'bcryptjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
const V2_BODY = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** what `htpasswd -B` writes: bcrypt with the $2y$ prefix */
const htpasswdHash = (password: string, cost: number) => bcrypt.hashSync(password, cost).replace(/^\$2b\$/, '$2y$');

describe('basic auth', () => {
  let root: string;
  let dir: string;
  let server: RunningServer;
  const htpasswd = () => join(dir, 'htpasswd');
  beforeAll(async () => {
    root = copyExampleRegistry();
    dir = mkdtempSync(join(tmpdir(), 'flowgate-basic-'));
    // cost 13: a check takes long enough (hundreds of ms) that a blocked event loop would show
    writeFileSync(htpasswd(), `# users\nalice:${htpasswdHash('wonderland', 6)}\nslow:${htpasswdHash('tortoise', 13)}\n`);
    const env = { FLOWGATE_AUTH_TOKENS: `bearer-token-0123456789, bob:${bcrypt.hashSync('builder', 5)}` };
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', authHtpasswd: htpasswd(), metricsToken: 'metrics-secret-123' }, env);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: string, authorization?: string) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(authorization === undefined ? {} : { Authorization: authorization }) }, body });
  const metricsText = async () => (await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer metrics-secret-123' } })).text();
  const metricValue = async (pattern: RegExp) => Number(pattern.exec(await metricsText())?.[1] ?? 0);

  test('users of the htpasswd file and of FLOWGATE_AUTH_TOKENS are accepted beside bearer tokens, on MLflow and V2 routes', async () => {
    expect((await post('/invocations', BODY, basic('alice', 'wonderland'))).status).toBe(200);
    expect((await post('/v2/models/iris/infer', V2_BODY, basic('alice', 'wonderland'))).status).toBe(200);
    expect((await post('/endpoints/iris/invocations', BODY, basic('bob', 'builder'))).status).toBe(200);
    expect((await post('/invocations', BODY, 'Bearer bearer-token-0123456789')).status).toBe(200);
  });

  test('a success is cached: many requests with the same credentials run bcrypt once', async () => {
    const checks = /^flowgate_auth_bcrypt_checks_total (\d+)/m;
    const auth = basic('bob', 'builder');
    await post('/invocations', BODY, auth);
    const before = await metricValue(checks);
    for (let i = 0; i < 10; i++) expect((await post('/invocations', BODY, auth)).status).toBe(200);
    expect(await metricValue(checks)).toBe(before);
    // a wrong password is never cached: each attempt pays a bcrypt run
    for (let i = 0; i < 3; i++) expect((await post('/invocations', BODY, basic('bob', 'wrong'))).status).toBe(401);
    expect(await metricValue(checks)).toBe(before + 3);
  });

  test('an unknown user is checked against a dummy hash: refused, and it costs a bcrypt run like a known one', async () => {
    const checks = /^flowgate_auth_bcrypt_checks_total (\d+)/m;
    const before = await metricValue(checks);
    expect((await post('/invocations', BODY, basic('mallory', 'wonderland'))).status).toBe(401);
    expect(await metricValue(checks)).toBe(before + 1);
  });

  test('bcrypt runs off the event loop: probes answer while a slow hash is checked', async () => {
    let checkedAt: number | null = null;
    let probes = 0;
    const slow = post('/invocations', BODY, basic('slow', 'tortoise')).then((res) => {
      checkedAt = probes;
      return res.status;
    });
    while (checkedAt === null && probes < 1000) {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      probes++;
    }
    expect(await slow).toBe(200);
    // a check on the event loop would hold every probe back until it ended (one or two get through
    // before it starts); off the loop, probes keep being answered through the whole check
    expect(checkedAt).toBeGreaterThanOrEqual(5);
  }, 60_000);

  test('refusals: 401 with Basic and Bearer challenges, MLflow error shape (V2 shape on /v2); the secret is not in /metrics', async () => {
    const wrong = await post('/invocations', BODY, basic('alice', 'not-the-password'));
    expect(wrong.status).toBe(401);
    const challenges = wrong.headers.get('www-authenticate')!;
    expect(challenges).toContain('Basic realm="flowgate", charset="UTF-8"');
    expect(challenges).toContain('Bearer realm="flowgate"');
    expect(((await wrong.json()) as { error_code: string }).error_code).toBe('UNAUTHENTICATED');
    const missing = await post('/v2/models/iris/infer', V2_BODY);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Basic realm="flowgate"');
    expect(Object.keys((await missing.json()) as object)).toEqual(['error']);
    const text = await metricsText();
    expect(text).toMatch(/flowgate_auth_failures_total\{reason="invalid"\} [1-9]/);
    expect(text).not.toContain('not-the-password');
  });

  test('the htpasswd file is re-read on SIGHUP: a new user works, a removed one is refused at once (its cached success too)', async () => {
    expect((await post('/invocations', BODY, basic('alice', 'wonderland'))).status).toBe(200);
    writeFileSync(htpasswd(), `carol:${htpasswdHash('cheshire', 5)}\n`);
    await server.reload();
    expect((await post('/invocations', BODY, basic('carol', 'cheshire'))).status).toBe(200);
    expect((await post('/invocations', BODY, basic('alice', 'wonderland'))).status).toBe(401);
    // the environment's users stay
    expect((await post('/invocations', BODY, basic('bob', 'builder'))).status).toBe(200);
    // a file that no longer reads keeps the users in use
    writeFileSync(htpasswd(), 'carol:not-a-hash\n');
    await server.reload();
    expect((await post('/invocations', BODY, basic('carol', 'cheshire'))).status).toBe(200);
  });

  test('a hash that is not bcrypt (MD5 apr1, SHA1, crypt) is refused at start, naming the line', async () => {
    const bad = join(dir, 'htpasswd-md5');
    writeFileSync(bad, 'dave:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n');
    await expect(startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', authHtpasswd: bad })).rejects.toThrow(/htpasswd-md5 line 1: expected user:bcrypt-hash/);
  });
});
