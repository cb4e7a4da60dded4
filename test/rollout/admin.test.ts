/**
 * Operators drive a rollout with `flowgate rollout status|pause|resume|abort ENDPOINT`
 * against a running server: each command lands in the registry's record (so every replica
 * obeys), a pause stops the step's clock, an abort rolls back like a failure.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startGateway, type GatewayUnderTest } from '../routing/helpers.js';
import { rolloutView, rolloutYaml, until } from './helpers.js';

const record = (root: string) => JSON.parse(readFileSync(join(root, 'models/iris/tags/flowgate.rollout.iris.record'), 'utf8')) as Record<string, unknown>;

describe('flowgate rollout', { timeout: 180_000 }, () => {
  let root: string | undefined;
  let gw: GatewayUnderTest | undefined;
  afterEach(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('status, pause, resume and abort, through the registry', async () => {
    root = copyExampleRegistry();
    gw = await startGateway(rolloutYaml({ steps: [10, 100], stepSeconds: 60 }), { trackingUri: root });
    const url = gw.server.url;
    await until(async () => (await rolloutView(url)).phase === 'running', 30_000, 'the rollout to start');
    const cli = (...args: string[]) => runCli(['rollout', ...args, '--url', url]);

    const status = await cli('status', 'iris');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ endpoint: 'iris', phase: 'running', step: 0, percent: 10, fromVersion: '1', toVersion: '2' });

    const paused = await cli('pause', 'iris');
    expect(JSON.parse(paused.stdout)).toMatchObject({ phase: 'paused', step: 0, percent: 10 });
    expect(record(root)).toMatchObject({ state: 'paused', paused_at: expect.any(Number) });

    const resumed = await cli('resume', 'iris');
    expect(JSON.parse(resumed.stdout)).toMatchObject({ phase: 'running', step: 0 });
    expect(record(root)).toMatchObject({ state: 'running', paused_at: null });

    const aborted = await cli('abort', 'iris');
    expect(JSON.parse(aborted.stdout)).toMatchObject({ phase: 'aborted', percent: 0, reason: 'aborted by an operator' });
    const listed = (await (await fetch(`${url}/endpoints`)).json()) as { endpoints: { variants: { name: string; weight: number }[] }[] };
    expect(listed.endpoints[0]!.variants.map((v) => [v.name, v.weight])).toEqual([['champion', 100], ['challenger', 0]]);

    const again = await cli('abort', 'iris');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("flowgate rollout: Endpoint 'iris' has no rollout in progress to abort (it is aborted).\n");
    const unknown = await cli('status', 'nope');
    expect(unknown.stderr).toBe("flowgate rollout: Endpoint 'nope' has no rollout (endpoints with one: iris).\n");
    const usage = await runCli(['rollout', 'frobnicate', 'iris']);
    expect(usage.code).toBe(2);
    const down = await runCli(['rollout', 'status', 'iris', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^flowgate rollout: cannot reach flowgate at http:\/\/127\.0\.0\.1:9: /);
  });
});
