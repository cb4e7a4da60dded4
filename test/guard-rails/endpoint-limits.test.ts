/**
 * Per-endpoint body limits from flowgate.yaml (`max_body_size`): one endpoint's limit
 * applies to its routes (MLflow's and V2), others keep --max-body-size; a bad size is a
 * config error naming the field.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfigText } from '../../src/endpoints/config-file.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startGateway, type GatewayUnderTest } from '../routing/helpers.js';

const padded = (body: object, size: number) => JSON.stringify(body).padEnd(size, ' ');
const ROWS = { inputs: [[5.1, 3.5, 1.4, 0.2]] };
const V2 = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };

describe('max_body_size per endpoint', () => {
  let root: string;
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    root = copyExampleRegistry();
    gw = await startGateway(
      `
endpoints:
  small:
    variants: [{ model: "models:/iris/1" }]
    max_body_size: 2KB
  large:
    variants: [{ model: "models:/iris/1" }]
default_endpoint: small
`,
      { trackingUri: root, workers: '0', maxBodySize: '10KB' },
    );
  });
  afterAll(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const post = (path: string, body: string) => fetch(`${gw.server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

  test("the endpoint's own limit applies to /endpoints/<name>/invocations, /invocations (its default) and V2", async () => {
    expect((await post('/endpoints/small/invocations', padded(ROWS, 1900))).status).toBe(200);
    const refused = await post('/endpoints/small/invocations', padded(ROWS, 2100));
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { message: string }).message).toContain('limit of 2000 bytes');
    expect((await post('/invocations', padded(ROWS, 2100))).status).toBe(413);
    const v2 = await post('/v2/models/small/infer', padded(V2, 2100));
    expect(v2.status).toBe(413);
    expect(await v2.json()).toEqual({ error: 'The request body (2100 bytes) is larger than the limit of 2000 bytes.' });
  });

  test('other endpoints keep --max-body-size', async () => {
    expect((await post('/endpoints/large/invocations', padded(ROWS, 9000))).status).toBe(200);
    expect((await post('/endpoints/large/invocations', padded(ROWS, 11_000))).status).toBe(413);
  });

  test('a size that is not one is a config error naming the field', () => {
    expect(() => parseConfigText('endpoints:\n  a:\n    variants: [{ model: /m }]\n    max_body_size: lots\n', '/x/flowgate.yaml')).toThrow(/max_body_size/);
  });
});
