/**
 * The rollout state machine and policy validation, on figures chosen to sit on each side of
 * every gate.
 */
import { describe, expect, test } from 'vitest';
import type { RolloutSpec } from '../../src/endpoints/config.js';
import { parseConfigText } from '../../src/endpoints/config-file.js';
import type { WindowStats } from '../../src/endpoints/variant-stats.js';
import { VariantStats, windowBetween } from '../../src/endpoints/variant-stats.js';
import type { RolloutRecord } from '../../src/rollout/record.js';
import { decide, rolloutWeights } from '../../src/rollout/state.js';

const policy: RolloutSpec = {
  from: 'champion',
  to: 'challenger',
  registeredModel: 'iris',
  fromAlias: 'champion',
  steps: [0, 10, 100],
  stepSeconds: 10,
  maxStepSeconds: 40,
  pollSeconds: 1,
  gates: { minRequests: 100, minRequestsToFail: 10, maxErrorRate: 0.01, maxP99Ratio: 1.5, minShadowAgreement: 0.9, minRewardDelta: -0.05, minAccuracyDelta: null, minFeedback: 20 },
  onSuccess: 'promote',
};
const T0 = 1_000_000;
const running = (step: number, extra: Partial<RolloutRecord> = {}): RolloutRecord => ({ fromVersion: '1', toVersion: '2', state: 'running', step, stepStartedAt: T0, startedAt: T0, pausedAt: null, ...extra });
const win = (w: Partial<WindowStats>): WindowStats => ({
  requests: 0,
  errors: 0,
  errorRate: null,
  p50: null,
  p99: null,
  shadowRequests: 0,
  shadowErrors: 0,
  shadowAgreement: null,
  accuracy: null,
  mae: null,
  meanReward: null,
  rewards: 0,
  labeled: 0,
  ...w,
});
const healthy = win({ requests: 200, errors: 0, errorRate: 0, p99: 0.01 });
const obs = (now: number, to: WindowStats = healthy, from: WindowStats = healthy) => ({ now, fromVersion: '1', toVersion: '2', to, from });

describe('decide', () => {
  test('a new version pair starts at step 0; the same pair never starts twice', () => {
    expect(decide(policy, { record: null, failure: null }, obs(T0)).action).toMatchObject({ kind: 'start', record: { step: 0, stepStartedAt: T0, fromVersion: '1', toVersion: '2' } });
    const failed = { fromVersion: '1', toVersion: '2', state: 'failed' as const, reason: 'x', at: T0 };
    expect(decide(policy, { record: running(1), failure: failed }, obs(T0)).status).toMatchObject({ phase: 'failed', percent: 0 });
    // a new challenger version restarts from step 0, whatever the old pair's outcome
    expect(decide(policy, { record: running(1), failure: failed }, { ...obs(T0), toVersion: '3' }).action).toMatchObject({ kind: 'start', record: { toVersion: '3', step: 0 } });
    expect(decide(policy, { record: null, failure: null }, { ...obs(T0), toVersion: '1' }).status.phase).toBe('idle');
  });

  test('a step ends at step_seconds when its gates pass; replicas deciding within two polls write the same start time', () => {
    const shadowing = win({ shadowRequests: 150, shadowAgreement: 0.95 });
    expect(decide(policy, { record: running(0), failure: null }, obs(T0 + 9_999, shadowing)).action.kind).toBe('none');
    for (const late of [0, 1_500]) {
      expect(decide(policy, { record: running(0), failure: null }, obs(T0 + 10_000 + late, shadowing)).action).toMatchObject({ kind: 'advance', record: { step: 1, stepStartedAt: T0 + 10_000 } });
    }
    expect(decide(policy, { record: running(0), failure: null }, obs(T0 + 15_000, shadowing)).action).toMatchObject({ kind: 'advance', record: { stepStartedAt: T0 + 15_000 } });
    expect(decide(policy, { record: running(2), failure: null }, obs(T0 + 10_000)).action).toMatchObject({ kind: 'succeed', record: { state: 'succeeded' } });
  });

  test('each gate fails the step on its own figure', () => {
    const at = (step: number, to: WindowStats, from = healthy, now = T0 + 10_000) => decide(policy, { record: running(step), failure: null }, obs(now, to, from));
    expect(at(1, win({ requests: 200, errors: 3, errorRate: 0.015, p99: 0.01 })).status.reason).toBe('step 1 (10 %): error rate 1.50 % over 200 requests > max_error_rate 1.00 %');
    // the error rate fails a step before its end, once min_requests_to_fail is reached, not before
    expect(at(1, win({ requests: 10, errors: 1, errorRate: 0.1 }), healthy, T0 + 1).action.kind).toBe('fail');
    expect(at(1, win({ requests: 9, errors: 1, errorRate: 0.11 }), healthy, T0 + 1).action.kind).toBe('none');
    expect(at(1, win({ requests: 200, errorRate: 0, p99: 0.016 })).status.reason).toBe('step 1 (10 %): p99 latency ratio 1.60 > max_p99_ratio 1.5');
    expect(at(1, win({ requests: 200, errorRate: 0, p99: 0.014 })).action.kind).toBe('advance');
    expect(at(0, win({ shadowRequests: 200, shadowAgreement: 0.85 })).status.reason).toBe('step 0 (0 %): shadow agreement 85.00 % < min_shadow_agreement 90.00 %');
    // shadow errors count as errors while at 0 %
    expect(at(0, win({ shadowRequests: 20, shadowErrors: 5, shadowAgreement: 0.75 }), healthy, T0 + 1).status.reason).toMatch(/error rate 25\.00 % over 20 requests/);
    // the reward gate: checked once both sides have min_feedback rewards
    const rewarded = (meanReward: number, rewards = 20) => win({ requests: 200, errorRate: 0, p99: 0.01, meanReward, rewards });
    expect(at(1, rewarded(0.7), rewarded(0.8)).status.reason).toBe('step 1 (10 %): mean reward -0.100 against the champion\'s < min_reward_delta -0.05');
    expect(at(1, rewarded(0.77), rewarded(0.8)).action.kind).toBe('advance');
    expect(at(1, rewarded(0.1, 19), rewarded(0.8)).action.kind).toBe('advance');
    // too few requests: wait, then fail at max_step_seconds
    expect(at(1, win({ requests: 50, errorRate: 0 })).status).toMatchObject({ phase: 'running', reason: 'waiting for min_requests: 50 of 100' });
    expect(at(1, win({ requests: 50, errorRate: 0 }), healthy, T0 + 40_000).status.reason).toBe('step 1 (10 %): 50 requests in 40 s (max_step_seconds) < min_requests 100');
  });

  test('a paused step\'s clock stops', () => {
    const paused = running(1, { state: 'paused', pausedAt: T0 + 3_000 });
    const d = decide(policy, { record: paused, failure: null }, obs(T0 + 60_000));
    expect(d.action.kind).toBe('none');
    expect(d.status).toMatchObject({ phase: 'paused', step: 1, percent: 10, figures: { stepElapsed: 3 } });
  });

  test('weights: the target gets its share, the others split the rest by their weights', () => {
    const variants = [{ name: 'champion', weight: 1 }, { name: 'challenger', weight: 1 }, { name: 'other', weight: 3 }];
    expect(rolloutWeights(policy, variants, 20)).toEqual([20, 20, 60]);
    expect(rolloutWeights(policy, [{ name: 'champion', weight: 0 }, { name: 'challenger', weight: 1 }], 0)).toEqual([100, 0]);
  });
});

describe('variant stats', () => {
  test('windows are differences of snapshots; p99 within one bucket (9 %)', () => {
    const stats = new VariantStats();
    for (let i = 0; i < 50; i++) stats.request('a', 0.001, false);
    const before = stats.snapshot('a');
    for (let i = 0; i < 99; i++) stats.request('a', 0.002, false);
    stats.request('a', 0.5, true);
    stats.shadow('a', 'agree');
    stats.shadow('a', 'disagree');
    const w = windowBetween(before, stats.snapshot('a'));
    expect(w).toMatchObject({ requests: 100, errors: 1, errorRate: 0.01, shadowRequests: 2, shadowAgreement: 0.5 });
    expect(w.p50! / 0.002).toBeGreaterThanOrEqual(1);
    expect(w.p50! / 0.002).toBeLessThan(1.091);
    expect(w.p99! / 0.002).toBeLessThan(1.091);
  });
});

describe('rollout policy in flowgate.yaml', () => {
  const file = (rollout: string, variants = '[ { name: champion, model: "models:/iris@champion" }, { name: challenger, model: "models:/iris@challenger" } ]') =>
    `endpoints:\n  iris:\n    variants: ${variants}\n    rollout: ${rollout}\n`;
  const problems = (text: string) => {
    try {
      parseConfigText(text, 'flowgate.yaml');
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  test('defaults and the spec', () => {
    const spec = parseConfigText(file('{ from: champion, to: challenger, step_seconds: 60 }'), 'flowgate.yaml');
    expect(spec.endpoints[0]!.rollout).toEqual({
      from: 'champion',
      to: 'challenger',
      registeredModel: 'iris',
      fromAlias: 'champion',
      steps: [0, 10, 50, 100],
      stepSeconds: 60,
      maxStepSeconds: 240,
      pollSeconds: 5,
      gates: { minRequests: 100, minRequestsToFail: 10, maxErrorRate: null, maxP99Ratio: null, minShadowAgreement: null, minRewardDelta: null, minAccuracyDelta: null, minFeedback: 20 },
      onSuccess: 'promote',
    });
  });

  test('what is refused, with its path', () => {
    expect(problems(file('{ from: champion, to: nope }'))).toMatch(/endpoints\.iris\.rollout\.to: "nope" is not a variant of this endpoint \(variants: champion, challenger\)/);
    expect(problems(file('{ from: champion, to: challenger, steps: [0, 50, 20, 100] }'))).toMatch(/rollout\.steps: must increase/);
    expect(problems(file('{ from: champion, to: challenger, steps: [0, 50] }'))).toMatch(/rollout\.steps: must end at 100/);
    expect(problems(file('{ from: champion, to: challenger, gates: { min_reward_delta: 0 } }'))).toMatch(/rollout\.gates: a reward or accuracy gate needs feedback: add `feedback: \{\}` to the endpoint/);
    expect(problems(`endpoints:\n  iris:\n    variants: [ { name: a, model: "models:/iris/1" }, { name: b, model: "models:/iris/2" } ]\n    feedback: {}\n    routing: { policy: thompson, min_share: 0.6 }\n`)).toMatch(
      /routing\.min_share: must be at most 1 \/ 2 \(the number of variants\)/,
    );
    expect(problems(file('{ from: champion, to: challenger, gates: { max_error_rate: 2 } }'))).toMatch(/max_error_rate: must be between 0 and 1/);
    expect(problems(file('{ from: champion, to: challenger, gates: { max_eror_rate: 0.1 } }'))).toMatch(/max_eror_rate/);
    expect(problems(file('{ from: champion, to: challenger }', '[ { name: champion, model: "models:/iris/1" }, { name: challenger, model: "models:/iris@challenger" } ]'))).toMatch(
      /rollout\.from: must be a variant serving a registry alias \(models:\/<name>@<alias>\), not models:\/iris\/1/,
    );
    expect(problems(file('{ from: champion, to: challenger }', '[ { name: champion, model: "models:/iris@champion" }, { name: challenger, model: "models:/wine@challenger" } ]'))).toMatch(
      /rollout\.to: must be a variant serving a version of the registered model "iris"/,
    );
  });
});
