/**
 * Rollouts end to end on a file-store registry (a copy of the repo's example: iris v1
 * @champion, v2 @challenger), with seconds-long steps: a healthy challenger is promoted
 * through every step with no failed client request and the alias moved in the store; an
 * erroring challenger is rolled back and the failure written as a tag; a restarted server
 * resumes from the registry's record instead of starting over.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { copyExampleRegistry, setAlias } from '../helpers/registry.js';
import { brokenIrisModel, invoke, startGateway, type GatewayUnderTest } from '../routing/helpers.js';
import { registerVersion, rolloutView, rolloutYaml, stopAllTraffic, trafficTo, until, untilView } from './helpers.js';

const tag = (root: string, key: string) => {
  const path = join(root, 'models', 'iris', 'tags', `flowgate.rollout.iris.${key}`);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
};
const alias = (root: string, name: string) => readFileSync(join(root, 'models', 'iris', 'aliases', name), 'utf8');

describe('rollouts on a file store', { timeout: 120_000 }, () => {
  let root: string | undefined;
  const servers: GatewayUnderTest[] = [];
  afterEach(async () => {
    await stopAllTraffic();
    for (const s of servers.splice(0)) await s.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  test('a healthy challenger goes through every step, is promoted, and no client request fails', async () => {
    root = copyExampleRegistry();
    const gw = await startGateway(rolloutYaml({ steps: [0, 50, 100] }), { trackingUri: root, pollInterval: '0.2' });
    servers.push(gw);
    const url = gw.server.url;
    const traffic = trafficTo([url]);
    const steps = new Set<number>();
    const final = await until(async () => {
      const v = await rolloutView(url);
      if (v.step !== null) steps.add(v.step);
      return v.phase === 'succeeded' || v.phase === 'failed' ? v : null;
    }, 60_000, 'the rollout to end');
    // the champion follows its alias to the promoted version
    await untilView(url, (v) => v.phase === 'idle' && v.fromVersion === '2', 30_000, 'champion to serve v2');
    await traffic.stop();

    expect(final.phase).toBe('succeeded');
    expect([...steps].sort()).toEqual([0, 1, 2]);
    expect(alias(root, 'champion')).toBe('2');
    expect(JSON.parse(tag(root, 'record')!)).toMatchObject({ from_version: '1', to_version: '2', state: 'succeeded', step: 2 });
    expect(tag(root, 'failure')).toBeNull();
    expect(tag(root, 'summary')).toMatch(/^succeeded: version 2 is now @champion/);
    // MLflow's FileStore bookkeeping: meta.yaml's aliases follow the alias files
    expect(readFileSync(join(root, 'models', 'iris', 'meta.yaml'), 'utf8')).toMatch(/champion: '2'/);
    const failed = traffic.answers.filter((a) => a.status !== 200);
    expect(failed).toEqual([]);
    // the challenger really took traffic (at 50 % and 100 %), and the champion before
    expect(traffic.answers.filter((a) => a.variant === 'challenger').length).toBeGreaterThan(5);
    expect(traffic.answers.filter((a) => a.variant === 'champion' && a.version === '1').length).toBeGreaterThan(5);
    // shadow copies ran at step 0
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/flowgate_shadow_requests_total\{endpoint="iris",variant="challenger",outcome="(agree|disagree)"\} [1-9]/);
    expect(metrics).toMatch(/flowgate_rollout_state\{endpoint="iris",state="idle"\} 1/);
  });

  test('a challenger that answers errors is rolled back at once, the failure written as a tag, the alias untouched', async () => {
    root = copyExampleRegistry();
    registerVersion(root, 'iris', 3, brokenIrisModel(root));
    setAlias(root, 'iris', 'challenger', 3);
    const gw = await startGateway(
      rolloutYaml({ steps: [20, 100], stepSeconds: 30, gates: '{ min_requests: 5, min_requests_to_fail: 5, max_error_rate: 0.05 }' }),
      { trackingUri: root, pollInterval: '0.2' },
    );
    servers.push(gw);
    const url = gw.server.url;
    const traffic = trafficTo([url]);
    const failed = await until(async () => {
      const v = await rolloutView(url);
      return v.phase === 'failed' ? v : null;
    }, 40_000, 'the rollout to fail');
    const atFailure = traffic.answers.length;
    await new Promise((r) => setTimeout(r, 500));
    await traffic.stop();

    expect(failed.reason).toMatch(/^step 0 \(20 %\): error rate 100\.00 % over \d+ requests > max_error_rate 5\.00 %/);
    expect(JSON.parse(tag(root, 'failure')!)).toMatchObject({ from_version: '1', to_version: '3', state: 'failed' });
    expect(alias(root, 'champion')).toBe('1');
    // errors reached clients only until the rollback, which took at most a poll or two
    const errors = traffic.answers.filter((a) => a.status !== 200);
    expect(errors.every((a) => a.variant === 'challenger')).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(errors.length).toBeLessThan(40);
    const after = traffic.answers.slice(atFailure);
    expect(after.length).toBeGreaterThan(5);
    expect(after.every((a) => a.status === 200 && a.variant === 'champion')).toBe(true);
    // GET /endpoints shows the rollback: the challenger at weight 0
    const listed = (await (await fetch(`${url}/endpoints`)).json()) as { endpoints: { variants: { name: string; weight: number }[]; rollout: { phase: string } }[] };
    expect(listed.endpoints[0]!.rollout.phase).toBe('failed');
    expect(listed.endpoints[0]!.variants.find((v) => v.name === 'challenger')!.weight).toBe(0);
  });

  test('a failure seen by one replica is written as a tag, and a replica that saw none rolls back on its next poll', async () => {
    root = copyExampleRegistry();
    const yaml = rolloutYaml({ steps: [20, 100], stepSeconds: 60, gates: '{ min_requests: 5, min_requests_to_fail: 5, max_error_rate: 0.05 }' });
    const a = await startGateway(yaml, { trackingUri: root });
    const b = await startGateway(yaml, { trackingUri: root });
    servers.push(a, b);
    await until(async () => (await rolloutView(a.server.url)).phase === 'running' && (await rolloutView(b.server.url)).phase === 'running', 30_000, 'both replicas to run the rollout');
    // only replica A sees the challenger fail (requests it cannot take, forced to it)
    for (let i = 0; i < 6; i++) {
      const bad = await invoke(a.server.url, '/endpoints/iris/invocations', { 'x-flowgate-variant': 'challenger' }, JSON.stringify({ inputs: [[1, 2]] }));
      expect(bad.status).toBe(400);
    }
    const failedB = await untilView(b.server.url, (v) => v.phase === 'failed', 30_000, 'replica B to roll back');
    expect(failedB.reason).toMatch(/^step 0 \(20 %\): error rate 100\.00 % over 6 requests > max_error_rate 5\.00 %$/);
    expect(JSON.parse(tag(root, 'failure')!)).toMatchObject({ state: 'failed', to_version: '2' });
    const listed = (await (await fetch(`${b.server.url}/endpoints`)).json()) as { endpoints: { variants: { name: string; weight: number }[] }[] };
    expect(listed.endpoints[0]!.variants.map((v) => v.weight)).toEqual([100, 0]);
  });

  test('a server restarted mid-rollout resumes at the registry\'s step instead of starting over', async () => {
    root = copyExampleRegistry();
    const yaml = rolloutYaml({ steps: [0, 10, 50, 100], stepSeconds: 1.5, gates: '{ min_requests: 3 }' });
    const first = await startGateway(yaml, { trackingUri: root, pollInterval: '0.2' });
    servers.push(first);
    let traffic = trafficTo([first.server.url]);
    await until(async () => ((await rolloutView(first.server.url)).step ?? 0) >= 1, 40_000, 'step 1');
    await traffic.stop();
    const record = JSON.parse(tag(root, 'record')!) as { started_at: number; step: number };
    await first.server.close();
    servers.splice(0);

    const second = await startGateway(yaml, { trackingUri: root, pollInterval: '0.2' });
    servers.push(second);
    // idle until both variants serve (models load in the background), then where the registry says
    const resumed = await untilView(second.server.url, (v) => v.phase !== 'idle', 30_000, 'the restarted server to read the rollout');
    expect(resumed.phase).toBe('running');
    expect(resumed.step).toBeGreaterThanOrEqual(record.step);
    expect(JSON.parse(tag(root, 'record')!).started_at).toBe(record.started_at);
    traffic = trafficTo([second.server.url]);
    const final = await until(async () => {
      const v = await rolloutView(second.server.url);
      return v.phase === 'succeeded' || v.phase === 'failed' || (v.phase === 'idle' && v.fromVersion === '2') ? v : null;
    }, 60_000, 'the rollout to end');
    await traffic.stop();
    expect(final.phase === 'succeeded' || final.fromVersion === '2').toBe(true);
    expect(JSON.parse(tag(root, 'record')!)).toMatchObject({ state: 'succeeded', started_at: record.started_at });
  });
});
