/**
 * One flowgate process, several endpoints, each routing between registry versions: the
 * response says who answered, weights hold over 10k requests, sticky keys stick, the
 * override header forces a variant, and GET /endpoints and /metrics tell the split.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyExampleRegistry } from '../helpers/registry.js';
import { chiSquare, invoke, metric, startGateway, type Answer, type GatewayUnderTest } from '../routing/helpers.js';

// chi-square critical value, 1 degree of freedom, p = 0.0001
const CRITICAL_DF1 = 15.14;

const CONFIG = `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion",   weight: 90 }
      - { name: challenger, model: "models:/iris@challenger", weight: 10 }
    sticky: { header: x-user-id }
  iris-v2:
    variants: [ { model: "models:/iris/2" } ]
    variant_override: false
default_endpoint: iris
`;

/** Sends `n` requests, `concurrency` at a time; `headersOf(i)` gives request i's headers. */
async function many(url: string, n: number, headersOf: (i: number) => Record<string, string>, concurrency = 16): Promise<Answer[]> {
  const answers: Answer[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        answers[i] = await invoke(url, '/invocations', headersOf(i));
      }
    }),
  );
  return answers;
}

describe('endpoints over HTTP (example registry: iris v1 @champion, v2 @challenger)', () => {
  let root: string;
  let gw: GatewayUnderTest;
  let url: string;
  beforeAll(async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG, { trackingUri: root });
    url = gw.server.url;
  });
  afterAll(async () => {
    await gw?.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('every prediction names its endpoint, variant, model and version', async () => {
    const a = await invoke(url, '/invocations', { 'x-flowgate-variant': 'champion' });
    expect(a).toMatchObject({ status: 200, endpoint: 'iris', variant: 'champion', model: 'iris', version: '1' });
    const b = await invoke(url, '/invocations', { 'x-flowgate-variant': 'challenger' });
    expect(b).toMatchObject({ status: 200, endpoint: 'iris', variant: 'challenger', model: 'iris', version: '2' });
    expect(JSON.parse(a.body).predictions.label).toHaveLength(3);
    // the two versions are different models: their probabilities differ
    expect(JSON.parse(a.body).predictions.probabilities).not.toEqual(JSON.parse(b.body).predictions.probabilities);
  });

  test('/endpoints/{name}/invocations serves any endpoint; an unknown one is a 404 naming the endpoints', async () => {
    expect(await invoke(url, '/endpoints/iris-v2/invocations')).toMatchObject({ status: 200, endpoint: 'iris-v2', variant: 'default', version: '2' });
    expect(await invoke(url, '/endpoints/iris/invocations', { 'x-flowgate-variant': 'champion' })).toMatchObject({ status: 200, endpoint: 'iris', version: '1' });
    const missing = await invoke(url, '/endpoints/fraud/invocations');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error_code: 'ENDPOINT_NOT_FOUND', message: "No endpoint named 'fraud' (endpoints: iris, iris-v2)." });
    expect((await fetch(`${url}/endpoints/iris/invocations`)).status).toBe(405);
  });

  test('x-flowgate-variant forces a variant (even against the sticky key); an unknown one is a 404; it can be disabled', async () => {
    const forced = await many(url, 40, (i) => ({ 'x-flowgate-variant': 'challenger', 'x-user-id': `u${i}` }));
    expect(forced.every((a) => a.status === 200 && a.variant === 'challenger')).toBe(true);
    const unknown = await invoke(url, '/invocations', { 'x-flowgate-variant': 'canary' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "Endpoint 'iris' has no variant 'canary' (variants: champion, challenger).",
    });
    // iris-v2 has variant_override: false: the header is ignored
    expect(await invoke(url, '/endpoints/iris-v2/invocations', { 'x-flowgate-variant': 'canary' })).toMatchObject({ status: 200, variant: 'default' });
  });

  test('anonymous requests follow the 90/10 weights (chi-square over 10k requests)', async () => {
    const answers = await many(url, 10_000, () => ({}));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const challenger = answers.filter((a) => a.variant === 'challenger').length;
    expect(chiSquare([answers.length - challenger, challenger], [0.9, 0.1])).toBeLessThan(CRITICAL_DF1);
    // the version always matches the variant
    expect(answers.every((a) => (a.variant === 'champion' ? a.version === '1' : a.version === '2'))).toBe(true);
  }, 240_000); // ~5 s on an idle machine; CI machines are not always idle

  test('sticky keys follow the weights too, and each user always lands on the same variant', async () => {
    // (the split of 10k keys is checked in test/routing/split.test.ts, without HTTP)
    const answers = await many(url, 2000, (i) => ({ 'x-user-id': `user-${i}` }));
    const challenger = answers.filter((a) => a.variant === 'challenger').length;
    expect(chiSquare([answers.length - challenger, challenger], [0.9, 0.1])).toBeLessThan(CRITICAL_DF1);
    const again = await many(url, 2000, (i) => ({ 'x-user-id': `user-${i}` }));
    expect(again.map((a) => a.variant)).toEqual(answers.map((a) => a.variant));
  }, 120_000);

  test('GET /endpoints lists endpoints, variants, weights and the versions served now', async () => {
    const res = await fetch(`${url}/endpoints`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { default_endpoint: string; endpoints: { name: string; variants: unknown[]; sticky: unknown; variant_override: boolean }[] };
    expect(body.default_endpoint).toBe('iris');
    expect(body.endpoints.map((e) => e.name)).toEqual(['iris', 'iris-v2']);
    expect(body.endpoints[0]!.sticky).toEqual({ header: 'x-user-id' });
    expect(body.endpoints[0]!.variants).toEqual([
      { name: 'champion', model_uri: 'models:/iris@champion', weight: 90, share: 0.9, serving: { model: 'iris', version: '1', flavor: 'onnx' }, pending: null },
      { name: 'challenger', model_uri: 'models:/iris@challenger', weight: 10, share: 0.1, serving: { model: 'iris', version: '2', flavor: 'onnx' }, pending: null },
    ]);
    expect(body.endpoints[1]!.variant_override).toBe(false);
  });

  test('metrics count requests, latency and errors per endpoint and variant', async () => {
    await invoke(url, '/invocations', { 'x-flowgate-variant': 'challenger' }, '{"inputs": [[1, 2, 3]]}');
    await invoke(url, '/endpoints/iris-v2/invocations');
    const ok = /flowgate_endpoint_requests_total\{endpoint="iris-v2",variant="default",model="iris",version="2",code="200"\} (\d+)/;
    expect(await metric(url, ok)).toBeGreaterThanOrEqual(2);
    expect(await metric(url, /flowgate_endpoint_request_duration_seconds_count\{endpoint="iris",variant="champion"\} (\d+)/)).toBeGreaterThan(10_000);
    expect(await metric(url, /flowgate_endpoint_errors_total\{endpoint="iris",variant="challenger",error_code="INVALID_PARAMETER_VALUE"\} (\d+)/)).toBe(1);
    expect(await metric(url, /flowgate_endpoint_requests_total\{endpoint="iris",variant="challenger",model="iris",version="2",code="400"\} (\d+)/)).toBe(1);
    // one model-served gauge per version, though two URIs (@challenger and /2) serve version 2
    expect(await metric(url, /flowgate_model_served\{model="iris",version="2",flavor="onnx"\} (\d+)/)).toBe(1);
  });

  test('/ping is ready once every variant is loaded', async () => {
    const res = await fetch(`${url}/ping`);
    expect([res.status, await res.text()]).toEqual([200, '\n']);
  });
});
