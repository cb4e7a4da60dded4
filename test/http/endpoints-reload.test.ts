/**
 * Endpoints under change: an alias that moves is followed with zero failed requests,
 * sticky keys never move when the config or the versions reload, a changed file is picked
 * up by itself, and a bad new file (or one whose models do not load) leaves the old
 * endpoints serving.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import type { Endpoint } from '../../src/endpoints/endpoint.js';
import { copyExampleRegistry, setAlias } from '../helpers/registry.js';
import { invoke, metric, startGateway, type Answer, type GatewayUnderTest } from '../routing/helpers.js';

const CONFIG = (champion: number, challenger: number, extra = '') => `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion",   weight: ${champion} }
      - { name: challenger, model: "models:/iris@challenger", weight: ${challenger} }
    sticky: { header: x-user-id }
${extra}`;

const USERS = Array.from({ length: 400 }, (_, i) => `user-${i}`);

async function variantsOf(url: string, users: string[]): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < users.length; i += 20) {
    out.push(...(await Promise.all(users.slice(i, i + 20).map((u) => invoke(url, '/invocations', { 'x-user-id': u })))));
  }
  return out;
}

/** Requests back to back from 4 clients (half of them sticky) until stopped; every answer is kept. */
function steadyClient(url: string) {
  const answers: Answer[] = [];
  let running = true;
  const done = Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; running; i++) answers.push(await invoke(url, '/invocations', w % 2 === 0 ? { 'x-user-id': `steady-${w}-${i % 50}` } : {}));
    }),
  );
  return {
    answers,
    async stop() {
      running = false;
      await done;
    },
  };
}

async function until(what: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const challengerOf = (gw: GatewayUnderTest): Endpoint['variants'][number] => gw.server.gateway.endpoints.byName.get('iris')!.variants[1]!;

describe('endpoints under change', () => {
  let root: string | undefined;
  let gw: GatewayUnderTest | undefined;
  afterEach(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
    gw = undefined;
    root = undefined;
  });

  test('moving @challenger changes what the challenger serves, with 0 failed requests; sticky keys stay', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG(50, 50), { trackingUri: root });
    const url = gw.server.url;
    const before = await variantsOf(url, USERS);
    expect(new Set(before.filter((a) => a.variant === 'challenger').map((a) => a.version))).toEqual(new Set(['2']));

    const client = steadyClient(url);
    while (client.answers.length < 100) await new Promise((r) => setTimeout(r, 5));
    setAlias(root, 'iris', 'challenger', 1);
    await challengerOf(gw).model.follower.poll();
    const afterSwap = client.answers.length;
    while (client.answers.length < afterSwap + 100) await new Promise((r) => setTimeout(r, 5));
    await client.stop();

    expect(client.answers.filter((a) => a.status !== 200)).toEqual([]);
    // after the poll, the challenger answers with version 1; requests in flight during the swap may still say 2
    const late = client.answers.slice(afterSwap + 4).filter((a) => a.variant === 'challenger');
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((a) => a.version === '1')).toBe(true);
    const after = await variantsOf(url, USERS);
    expect(after.map((a) => a.variant)).toEqual(before.map((a) => a.variant));
    expect(after.every((a) => a.status === 200 && a.version === '1')).toBe(true);
  });

  test('sticky keys never move when the file reloads with the same variants and weights', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG(70, 30), { trackingUri: root });
    const before = await variantsOf(gw.server.url, USERS);
    // another endpoint, a shadow, a reordered list: the iris split is the same
    writeFileSync(
      gw.file,
      `
endpoints:
  iris:
    variants:
      - { name: challenger, model: "models:/iris@challenger", weight: 30 }
      - { name: champion,   model: "models:/iris@champion",   weight: 70 }
    sticky: { header: x-user-id }
    shadow: [ { name: candidate, model: "models:/iris/2", sample: 0.5 } ]
  other:
    variants: [ { model: "models:/iris/1" } ]
default_endpoint: iris
`,
    );
    expect(await gw.server.reload()).toEqual({ outcome: 'applied' });
    expect(gw.server.gateway.endpoints.byName.has('other')).toBe(true);
    const after = await variantsOf(gw.server.url, USERS);
    expect(after.map((a) => a.variant)).toEqual(before.map((a) => a.variant));
  });

  test('a new weight only moves keys to the variant that gained weight', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG(90, 10), { trackingUri: root });
    const before = await variantsOf(gw.server.url, USERS);
    writeFileSync(gw.file, CONFIG(50, 50));
    expect(await gw.server.reload()).toEqual({ outcome: 'applied' });
    const after = await variantsOf(gw.server.url, USERS);
    const moved = before.map((a, i) => [a.variant, after[i]!.variant]).filter(([from, to]) => from !== to);
    expect(moved.length).toBeGreaterThan(USERS.length * 0.25);
    expect(moved.every(([from, to]) => from === 'champion' && to === 'challenger')).toBe(true);
  });

  test('a changed file is applied by itself (no SIGHUP), and the loaded models are reused', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG(100, 0), { trackingUri: root });
    const url = gw.server.url;
    const championModel = gw.server.gateway.endpoints.defaultEndpoint.variants[0]!.model;
    expect((await variantsOf(url, USERS.slice(0, 40))).every((a) => a.variant === 'champion')).toBe(true);
    writeFileSync(gw.file, CONFIG(0, 100));
    await until(async () => (await invoke(url)).variant === 'challenger');
    expect((await variantsOf(url, USERS.slice(0, 40))).every((a) => a.variant === 'challenger')).toBe(true);
    expect(gw.server.gateway.endpoints.defaultEndpoint.variants[0]!.model).toBe(championModel);
    expect(await metric(url, /flowgate_config_reloads_total\{outcome="applied"\} (\d+)/)).toBe(1);
  });

  test('a bad new file is rejected with its problems; the old endpoints keep serving', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG(90, 10), { trackingUri: root });
    const good = readFileSync(gw.file, 'utf8');
    writeFileSync(gw.file, good.replace('weight: 10', 'weight: ten'));
    const result = await gw.server.reload();
    expect(result.outcome).toBe('rejected');
    expect(result.problems).toEqual([`${gw.file}:6:71: endpoints.iris.variants[1].weight: must be a number`]);
    expect(await invoke(gw.server.url, '/invocations', { 'x-flowgate-variant': 'challenger' })).toMatchObject({ status: 200, variant: 'challenger' });
    // the watcher saw the same write: the same bad file is not reported twice
    await new Promise((r) => setTimeout(r, 300));
    expect(await metric(gw.server.url, /flowgate_config_reloads_total\{outcome="rejected"\} (\d+)/)).toBe(1);
    // fixed, it applies
    writeFileSync(gw.file, good.replace('weight: 10', 'weight: 20'));
    expect(await gw.server.reload()).toEqual({ outcome: 'applied' });
  });

  test('a new file whose model does not load is rejected; the old endpoints keep serving', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(CONFIG(90, 10), { trackingUri: root });
    writeFileSync(gw.file, CONFIG(90, 10).replace('models:/iris@challenger', 'models:/iris@nobody'));
    const result = await gw.server.reload();
    expect(result.outcome).toBe('rejected');
    expect(result.problems).toHaveLength(1);
    expect(result.problems![0]).toMatch(/^endpoint iris, variant challenger \(models:\/iris@nobody\): .*nobody/);
    expect(await invoke(gw.server.url, '/invocations', { 'x-flowgate-variant': 'challenger' })).toMatchObject({ status: 200, version: '2' });
    // the champion's model, shared with the rejected file, was not released
    expect(await invoke(gw.server.url, '/invocations', { 'x-flowgate-variant': 'champion' })).toMatchObject({ status: 200, version: '1' });
  });
});
