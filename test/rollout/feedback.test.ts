/**
 * Online feedback and bandit routing on a running gateway (the example registry: iris v1
 * @champion, v2 @challenger, ONNX classifiers answering {"label": [...], "probabilities": ...}):
 * labels are scored against what the answering variant predicted, rewards averaged, unknown
 * ids counted; a bandit moves the weights toward the variant with the better reward, under
 * a seed, and sticky keys keep their variant.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { copyExampleRegistry } from '../helpers/registry.js';
import { IRIS_ROWS, invoke, metric, startGateway, type GatewayUnderTest } from '../routing/helpers.js';

const feedback = async (url: string, body: unknown, path = '/endpoints/iris/feedback') => {
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

/** Predicts with a chosen request id; the labels it predicted and the variant that answered. */
async function predict(url: string, id: string, headers: Record<string, string> = {}) {
  const a = await invoke(url, '/endpoints/iris/invocations', { 'x-request-id': id, ...headers });
  expect(a.status).toBe(200);
  return { variant: a.variant!, labels: (JSON.parse(a.body) as { predictions: { label: number[] } }).predictions.label };
}

describe('online feedback and bandits', () => {
  let root: string | undefined;
  let gw: GatewayUnderTest | undefined;
  afterEach(async () => {
    await gw?.server.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const start = async (extra: string, weights = [1, 1]) => {
    root = copyExampleRegistry();
    gw = await startGateway(
      `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion",   weight: ${weights[0]} }
      - { name: challenger, model: "models:/iris@challenger", weight: ${weights[1]} }
${extra}
`,
      { trackingUri: root },
    );
    return gw.server.url;
  };

  test('labels are scored per row against the answering variant\'s prediction; rewards averaged; unknown ids counted', async () => {
    const url = await start('    feedback: { capacity: 100, output: label }');
    const a = await predict(url, 'req-a', { 'x-flowgate-variant': 'champion' });
    const b = await predict(url, 'req-b', { 'x-flowgate-variant': 'challenger' });
    const wrong = b.labels.map((l) => (l + 1) % 3);
    const answer = await feedback(url, [
      { request_id: 'req-a', label: a.labels, reward: 1 },
      { request_id: 'req-b', label: wrong, reward: 0.25 },
      { request_id: 'never-seen', label: 1 },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ scored: 2, unknown: 1, unscored: 0 });
    expect(answer.json.results).toEqual([
      { request_id: 'req-a', status: 'scored', variant: 'champion', version: '1', reward: 1, rows: 3, correct: 3 },
      { request_id: 'req-b', status: 'scored', variant: 'challenger', version: '2', reward: 0.25, rows: 3, correct: 0 },
      { request_id: 'never-seen', status: 'unknown' },
    ]);
    // each id takes feedback once
    expect((await feedback(url, { request_id: 'req-a', reward: 1 })).json).toMatchObject({ scored: 0, unknown: 1 });
    expect(await metric(url, /flowgate_feedback_accuracy\{endpoint="iris",variant="champion"\} ([\d.]+)/)).toBe(1);
    expect(await metric(url, /flowgate_feedback_accuracy\{endpoint="iris",variant="challenger"\} ([\d.]+)/)).toBe(0);
    expect(await metric(url, /flowgate_feedback_mean_reward\{endpoint="iris",variant="challenger"\} ([\d.]+)/)).toBe(0.25);
    expect(await metric(url, /flowgate_feedback_items_total\{endpoint="iris",outcome="unknown"\} (\d+)/)).toBe(2);

    // V2 predictions are remembered too, and the V2 route takes feedback with V2 errors
    const v2 = await fetch(`${url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-request-id': 'req-v2', 'x-flowgate-variant': 'champion' },
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4], data: IRIS_ROWS.flat() }] }),
    });
    expect(v2.status).toBe(200);
    expect((await feedback(url, { request_id: 'req-v2', label: a.labels }, '/v2/models/iris/feedback')).json).toMatchObject({ scored: 1, results: [{ correct: 3 }] });
    const bad = await feedback(url, { request_id: 'x' }, '/v2/models/iris/feedback');
    expect(bad).toEqual({ status: 400, json: { error: 'Invalid feedback: must have a `label` or a `reward`' } });
    // a label that does not fit the prediction is counted, not an error
    await predict(url, 'req-c');
    expect((await feedback(url, { request_id: 'req-c', label: [1] })).json).toMatchObject({ unscored: 1, results: [{ status: 'unscored', reason: '1 label(s) for 3 predicted row(s)' }] });
    expect((await feedback(url, 'nope')).json).toEqual({ error_code: 'BAD_REQUEST', message: 'Invalid feedback: Invalid input' });
  });

  test('an endpoint without feedback says how to turn it on; the LRU forgets the oldest answers', async () => {
    let url = await start('');
    expect(await feedback(url, { request_id: 'x', reward: 1 })).toEqual({
      status: 404,
      json: { error_code: 'ENDPOINT_NOT_FOUND', message: "Endpoint 'iris' does not take feedback: add `feedback: {}` to it in the endpoints file." },
    });
    await gw!.server.close();
    gw = undefined;
    url = await start('    feedback: { capacity: 2 }');
    for (const id of ['one', 'two', 'three']) await predict(url, id);
    expect((await feedback(url, ['one', 'two', 'three'].map((id) => ({ request_id: id, reward: 1 })))).json).toMatchObject({ scored: 2, unknown: 1, results: [{ status: 'unknown' }, {}, {}] });
  });

  test('epsilon-greedy: the better-rewarded variant gets 1 - epsilon (+ its even part), every variant keeps min_share', async () => {
    const url = await start('    feedback: {}\n    routing: { policy: epsilon_greedy, epsilon: 0.2, min_share: 0.1, seed: 7 }');
    const shares = async () => ((await (await fetch(`${url}/endpoints`)).json()) as { endpoints: { variants: { share: number }[] }[] }).endpoints[0]!.variants.map((v) => v.share);
    expect(await shares()).toEqual([0.5, 0.5]);
    for (let i = 0; i < 10; i++) {
      const p = await predict(url, `r${i}`);
      await feedback(url, { request_id: `r${i}`, reward: p.variant === 'challenger' ? 1 : 0 });
    }
    const [champion, challenger] = await shares();
    expect(challenger).toBeCloseTo(0.1 + 0.8 * (0.1 + 0.8), 10);
    expect(champion).toBeCloseTo(0.1 + 0.8 * 0.1, 10);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => invoke(url, '/endpoints/iris/invocations', { 'x-request-id': `t${i}` })));
    const toChallenger = answers.filter((a) => a.variant === 'challenger').length;
    expect(toChallenger).toBeGreaterThan(150);
    expect(toChallenger).toBeLessThan(200);
  });

  test('thompson: weights follow the posterior of being best; sticky keys keep their variant', async () => {
    const url = await start('    feedback: {}\n    sticky: { header: x-user }\n    routing: { policy: thompson, min_share: 0.05, seed: 3 }');
    for (let i = 0; i < 30; i++) {
      const p = await predict(url, `r${i}`, { 'x-flowgate-variant': i % 2 === 0 ? 'champion' : 'challenger' });
      await feedback(url, { request_id: `r${i}`, reward: p.variant === 'champion' ? 0.9 : 0.2 });
    }
    const listed = (await (await fetch(`${url}/endpoints`)).json()) as { endpoints: { variants: { share: number }[] }[] };
    expect(listed.endpoints[0]!.variants[0]!.share).toBeGreaterThan(0.9);
    expect(listed.endpoints[0]!.variants[1]!.share).toBeGreaterThanOrEqual(0.05);
    const user = await Promise.all(Array.from({ length: 20 }, () => invoke(url, '/endpoints/iris/invocations', { 'x-user': 'alice' })));
    expect(new Set(user.map((a) => a.variant)).size).toBe(1);
  });
});
