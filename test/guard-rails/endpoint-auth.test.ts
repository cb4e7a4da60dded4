/**
 * Per-endpoint tokens from flowgate.yaml (`auth: {tokens, admin_tokens, token_file,
 * admin_token_file}`) on a real gateway: one team's token opens its endpoint's routes
 * (MLflow, /invocations when it is the default, V2) and no other; server-wide routes need
 * a server-wide credential; `x-flowgate-variant` needs an admin token (403 otherwise, in the
 * route's protocol); a reload of the file changes who may call at once; bad settings are
 * config errors naming the field.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigFileError, parseConfigText } from '../../src/endpoints/config-file.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { invoke, startGateway, type GatewayUnderTest } from '../routing/helpers.js';

const FRAUD = 'fraud-team-token-0001';
const FRAUD_ADMIN = 'fraud-admin-token-0001';
const CHURN = 'churn-team-token-0001';
const V2_BODY = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

const yaml = (fraudTokens: string[]) => `
endpoints:
  fraud:
    variants:
      - { name: champion, model: "models:/iris/1", weight: 100 }
      - { name: challenger, model: "models:/iris/2", weight: 0 }
    auth:
      tokens: [${fraudTokens.join(', ')}]
      admin_tokens: [${FRAUD_ADMIN}]
  churn:
    variants: [{ model: "models:/iris/1" }]
    auth: { token_file: churn.tokens }
  plain:
    variants: [{ model: "models:/iris/1" }]
default_endpoint: fraud
`;

describe('per-endpoint tokens', () => {
  let root: string;
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    root = copyExampleRegistry();
    gw = await startGateway(yaml([FRAUD]), { trackingUri: root, workers: '0' }, (dir) => writeFileSync(join(dir, 'churn.tokens'), `# churn team\n${CHURN}\n`));
  });
  afterAll(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (gw) rmSync(dirname(gw.file), { recursive: true, force: true });
  });

  const bearer = (token: string, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${token}`, ...extra });
  const v2 = (name: string, token?: string) =>
    fetch(`${gw.server.url}/v2/models/${name}/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : bearer(token)) }, body: V2_BODY });

  test("one team's token opens its endpoint (MLflow, /invocations as the default, V2) and no other", async () => {
    expect((await invoke(gw.server.url, '/endpoints/fraud/invocations', bearer(FRAUD))).status).toBe(200);
    expect((await invoke(gw.server.url, '/invocations', bearer(FRAUD))).status).toBe(200);
    expect((await v2('fraud', FRAUD)).status).toBe(200);
    expect((await invoke(gw.server.url, '/endpoints/churn/invocations', bearer(FRAUD))).status).toBe(401);
    expect((await v2('churn', FRAUD)).status).toBe(401);
    // the token file's token opens churn only
    expect((await invoke(gw.server.url, '/endpoints/churn/invocations', bearer(CHURN))).status).toBe(200);
    expect((await invoke(gw.server.url, '/invocations', bearer(CHURN))).status).toBe(401);
    expect((await invoke(gw.server.url, '/endpoints/churn/invocations')).status).toBe(401);
  });

  test('an endpoint without its own tokens takes server-wide credentials only: with none configured, auth does not fall open', async () => {
    for (const headers of [{}, bearer(FRAUD), bearer(FRAUD_ADMIN), bearer(CHURN)]) expect((await invoke(gw.server.url, '/endpoints/plain/invocations', headers)).status).toBe(401);
  });

  test('server-wide routes need a server-wide credential; probes stay open', async () => {
    expect((await fetch(`${gw.server.url}/endpoints`, { headers: bearer(FRAUD) })).status).toBe(401);
    expect((await fetch(`${gw.server.url}/v2`, { headers: bearer(FRAUD_ADMIN) })).status).toBe(401);
    expect((await fetch(`${gw.server.url}/ping`)).status).toBe(200);
    expect((await fetch(`${gw.server.url}/v2/health/ready`)).status).toBe(200);
  });

  test('x-flowgate-variant: 403 for a team token, honoured for an admin token', async () => {
    const forced = await invoke(gw.server.url, '/endpoints/fraud/invocations', bearer(FRAUD, { 'x-flowgate-variant': 'challenger' }));
    expect(forced.status).toBe(403);
    expect(JSON.parse(forced.body)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    expect(JSON.parse(forced.body).message).toContain('admin token');
    const v2Forced = await fetch(`${gw.server.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(FRAUD, { 'x-flowgate-variant': 'challenger' }) }, body: V2_BODY });
    expect(v2Forced.status).toBe(403);
    expect(Object.keys((await v2Forced.json()) as object)).toEqual(['error']);
    const admin = await invoke(gw.server.url, '/endpoints/fraud/invocations', bearer(FRAUD_ADMIN, { 'x-flowgate-variant': 'challenger' }));
    expect(admin.status).toBe(200);
    expect(admin.variant).toBe('challenger');
    expect(admin.version).toBe('2');
    // without the header a team token routes by weight (champion takes 100 %)
    expect((await invoke(gw.server.url, '/invocations', bearer(FRAUD))).variant).toBe('champion');
    // an admin token opens its own endpoint only
    expect((await invoke(gw.server.url, '/endpoints/churn/invocations', bearer(FRAUD_ADMIN))).status).toBe(401);
  });

  test('a reload of the file changes who may call, at once', async () => {
    const next = 'fraud-team-token-0002';
    writeFileSync(gw.file, yaml([next]));
    expect((await gw.server.reload()).outcome).toBe('applied');
    expect((await invoke(gw.server.url, '/invocations', bearer(FRAUD))).status).toBe(401);
    expect((await invoke(gw.server.url, '/invocations', bearer(next))).status).toBe(200);
    writeFileSync(gw.file, yaml([FRAUD]));
    expect((await gw.server.reload()).outcome).toBe('applied');
  });
});

describe('auth settings in flowgate.yaml', () => {
  const parse = (auth: string) => () => parseConfigText(`endpoints:\n  a:\n    variants: [{ model: /m }]\n    auth: ${auth}\n`, '/nowhere/flowgate.yaml');
  test('are validated: short tokens, unknown keys, an empty auth, an unreadable token file', () => {
    expect(parse('{ tokens: [short] }')).toThrow(/endpoints\.a\.auth\.tokens\[0\]: must be at least 16 characters/);
    expect(parse('{ token: [abcdefghijklmnopq] }')).toThrow(/endpoints\.a\.auth\.token: is not a known setting/);
    expect(parse('{}')).toThrow(/endpoints\.a\.auth: must give tokens, admin_tokens, token_file or admin_token_file/);
    expect(parse('{ token_file: absent.tokens }')).toThrow(ConfigFileError);
    expect(parse('{ token_file: absent.tokens }')).toThrow(/cannot read the token file \/nowhere\/absent\.tokens/);
  });
});
