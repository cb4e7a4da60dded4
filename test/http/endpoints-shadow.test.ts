/**
 * Shadow variants get a copy of each answered request; what they do is counted and never
 * reaches the client: a shadow that fails on every request leaves every response intact.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { copyExampleRegistry } from '../helpers/registry.js';
import { brokenIrisModel, invoke, metric, startGateway, type GatewayUnderTest } from '../routing/helpers.js';

const shadowCount = (url: string, shadow: string, outcome: string) =>
  metric(url, new RegExp(`flowgate_shadow_requests_total\\{endpoint="iris",variant="${shadow}",outcome="${outcome}"\\} (\\d+)`));

async function until(what: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('shadow variants', () => {
  let root: string | undefined;
  let gw: GatewayUnderTest | undefined;
  afterEach(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
    gw = undefined;
    root = undefined;
  });

  test('a shadow that fails on every request never reaches the client; its errors are counted', async () => {
    root = copyExampleRegistry();
    const broken = brokenIrisModel(root);
    const plain = await startGateway(`endpoints:\n  iris:\n    variants: [ { model: "models:/iris@champion" } ]\n`, { trackingUri: root });
    const expected = (await invoke(plain.server.url)).body;
    await plain.server.close();

    gw = await startGateway(
      `
endpoints:
  iris:
    variants: [ { model: "models:/iris@champion" } ]
    shadow: [ { name: broken, model: "${broken}", sample: 1.0 } ]
`,
      { trackingUri: root },
    );
    const url = gw.server.url;
    const answers = await Promise.all(Array.from({ length: 30 }, () => invoke(url)));
    expect(answers.map((a) => [a.status, a.variant, a.body])).toEqual(answers.map(() => [200, 'default', expected]));
    await until(async () => (await shadowCount(url, 'broken', 'error')) + (await metric(url, /flowgate_shadow_dropped_total\{endpoint="iris",variant="broken"\} (\d+)/)) === 30);
    expect(await shadowCount(url, 'broken', 'error')).toBeGreaterThan(0);
    expect(await shadowCount(url, 'broken', 'agree')).toBe(0);
    // the primary's own metrics saw no error
    expect(await metric(url, /flowgate_endpoint_errors_total\{endpoint="iris"[^}]*\} (\d+)/)).toBe(0);
  });

  test('agreement with the primary is counted: the same model agrees, another version disagrees', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(
      `
endpoints:
  iris:
    variants: [ { name: champion, model: "models:/iris@champion" } ]
    shadow:
      - { name: same,    model: "models:/iris/1", max_queue: 1000 }
      - { name: staging, model: "models:/iris/Staging", max_queue: 1000 }
`,
      { trackingUri: root },
    );
    const url = gw.server.url;
    for (let i = 0; i < 20; i++) expect((await invoke(url)).status).toBe(200);
    await until(async () => (await shadowCount(url, 'same', 'agree')) === 20 && (await shadowCount(url, 'staging', 'disagree')) === 20);
    expect(await shadowCount(url, 'same', 'disagree')).toBe(0);
    expect(await shadowCount(url, 'staging', 'agree')).toBe(0);
    expect(await metric(url, /flowgate_shadow_request_duration_seconds_count\{endpoint="iris",variant="staging"\} (\d+)/)).toBe(20);
  });

  test('V2 requests are shadowed too; failed primary requests are not', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(
      `
endpoints:
  iris:
    variants: [ { model: "models:/iris@champion" } ]
    shadow: [ { name: same, model: "models:/iris/1" } ]
`,
      { trackingUri: root },
    );
    const url = gw.server.url;
    const v2 = await fetch(`${url}/v2/models/iris/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] }),
    });
    expect(v2.status).toBe(200);
    expect((await invoke(url, '/invocations', {}, '{"inputs": [[1, 2]]}')).status).toBe(400);
    await until(async () => (await shadowCount(url, 'same', 'agree')) === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await shadowCount(url, 'same', 'error')).toBe(0);
  });

  test('a shadow samples its share of requests; every copy is either run or counted as dropped', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(
      `
endpoints:
  iris:
    variants: [ { model: "models:/iris@champion" } ]
    shadow:
      - { name: never, model: "models:/iris/2", sample: 0 }
      - { name: tight, model: "models:/iris/2", max_queue: 0, concurrency: 1 }
`,
      { trackingUri: root },
    );
    const url = gw.server.url;
    const answers = await Promise.all(Array.from({ length: 64 }, () => invoke(url)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ran = async () => (await shadowCount(url, 'tight', 'agree')) + (await shadowCount(url, 'tight', 'disagree')) + (await shadowCount(url, 'tight', 'error'));
    const dropped = () => metric(url, /flowgate_shadow_dropped_total\{endpoint="iris",variant="tight"\} (\d+)/);
    await until(async () => (await ran()) + (await dropped()) === 64);
    expect(await ran()).toBeGreaterThan(0);
    expect(await metric(url, /flowgate_shadow_requests_total\{endpoint="iris",variant="never"[^}]*\} (\d+)/)).toBe(0);
  });
});
