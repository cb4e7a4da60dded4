/**
 * The rollout state machine, as one pure function: from the policy, the shared record in
 * the registry, the versions this replica serves, its clock and what it observed in the
 * current step's window, where the rollout stands (phase, step, traffic share) and what,
 * if anything, must be written back. Every replica runs it on the same tags and (nearly)
 * the same clock, so they agree on the step without talking to each other.
 *
 *   idle ──(to's version ≠ from's, pair not seen)──▶ running step 0
 *   running step i ──(step_seconds over, min_requests met, gates pass)──▶ step i+1 … ──▶ succeeded (promote)
 *   running ──(a gate fails: at any time for the error rate, at step end for the others;
 *             min_requests not met by max_step_seconds)──▶ failed (to back to 0 %)
 *   running ⇄ paused (operator); any ──(operator abort)──▶ aborted
 */
import type { RolloutSpec } from '../endpoints/config.js';
import type { WindowStats } from '../endpoints/variant-stats.js';
import type { RolloutFailure, RolloutRecord } from './record.js';

export type RolloutPhase = 'idle' | 'running' | 'paused' | 'succeeded' | 'failed' | 'aborted';
export const PHASES: readonly RolloutPhase[] = ['idle', 'running', 'paused', 'succeeded', 'failed', 'aborted'];

/** The figures the gates were checked on (this replica's window of the current step). */
export interface GateFigures {
  /** requests `to` answered (shadow copies included) */
  requests: number;
  errorRate: number | null;
  p99Ratio: number | null;
  shadowAgreement: number | null;
  /** mean feedback reward of `to` minus `from`'s, when both have min_feedback rewards */
  rewardDelta: number | null;
  /** accuracy of `to` minus `from`'s, when both have min_feedback labelled rows */
  accuracyDelta: number | null;
  /** seconds the step has run */
  stepElapsed: number;
}

export interface RolloutStatus {
  phase: RolloutPhase;
  /** the step index while running or paused */
  step: number | null;
  /** % of traffic `to` gets */
  percent: number;
  /** `to` gets shadow copies (running or paused at a 0 % step) */
  shadow: boolean;
  fromVersion: string | null;
  toVersion: string | null;
  /** when the current step ends at the earliest (ms), while running */
  stepEndsAt: number | null;
  /** why it failed or was aborted; what a waiting step waits for */
  reason: string | null;
  figures: GateFigures | null;
}

export type RolloutAction =
  | { kind: 'none' }
  | { kind: 'start'; record: RolloutRecord; why: string }
  | { kind: 'advance'; record: RolloutRecord; why: string }
  | { kind: 'succeed'; record: RolloutRecord; why: string }
  | { kind: 'fail'; failure: RolloutFailure; why: string };

export interface Observation {
  now: number;
  /** the registry versions `from` and `to` serve on this replica; null when not loaded or unversioned */
  fromVersion: string | null;
  toVersion: string | null;
  /** this step's window, for `to` and `from` */
  to: WindowStats;
  from: WindowStats;
}

function figuresOf(policy: RolloutSpec, to: WindowStats, from: WindowStats, stepElapsed: number): GateFigures {
  const requests = to.requests + to.shadowRequests;
  const enough = policy.gates.minFeedback;
  const errors = to.errors + to.shadowErrors;
  return {
    requests,
    errorRate: requests > 0 ? errors / requests : null,
    p99Ratio: to.p99 !== null && from.p99 !== null && from.p99 > 0 ? to.p99 / from.p99 : null,
    shadowAgreement: to.shadowAgreement,
    rewardDelta: to.rewards >= enough && from.rewards >= enough && to.meanReward !== null && from.meanReward !== null ? to.meanReward - from.meanReward : null,
    accuracyDelta: to.labeled >= enough && from.labeled >= enough && to.accuracy !== null && from.accuracy !== null ? to.accuracy - from.accuracy : null,
    stepElapsed,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/** The gate that fails now, or null. `atStepEnd`: the step's time is over and min_requests met. */
function failingGate(policy: RolloutSpec, percent: number, f: GateFigures, atStepEnd: boolean): string | null {
  const g = policy.gates;
  if (g.maxErrorRate !== null && f.errorRate !== null && f.errorRate > g.maxErrorRate && (atStepEnd || f.requests >= g.minRequestsToFail)) {
    return `error rate ${pct(f.errorRate)} over ${f.requests} requests > max_error_rate ${pct(g.maxErrorRate)}`;
  }
  if (!atStepEnd) return null;
  if (g.maxP99Ratio !== null && f.p99Ratio !== null && f.p99Ratio > g.maxP99Ratio) {
    return `p99 latency ratio ${f.p99Ratio.toFixed(2)} > max_p99_ratio ${g.maxP99Ratio}`;
  }
  if (g.minShadowAgreement !== null && percent === 0 && f.shadowAgreement !== null && f.shadowAgreement < g.minShadowAgreement) {
    return `shadow agreement ${pct(f.shadowAgreement)} < min_shadow_agreement ${pct(g.minShadowAgreement)}`;
  }
  if (g.minRewardDelta !== null && f.rewardDelta !== null && f.rewardDelta < g.minRewardDelta) {
    return `mean reward ${f.rewardDelta.toFixed(3)} against the champion's < min_reward_delta ${g.minRewardDelta}`;
  }
  if (g.minAccuracyDelta !== null && f.accuracyDelta !== null && f.accuracyDelta < g.minAccuracyDelta) {
    return `accuracy ${pct(f.accuracyDelta)} against the champion's < min_accuracy_delta ${pct(g.minAccuracyDelta)}`;
  }
  return null;
}

const samePair = (x: { fromVersion: string; toVersion: string } | null, from: string, to: string) => x !== null && x.fromVersion === from && x.toVersion === to;

export function decide(
  policy: RolloutSpec,
  shared: { record: RolloutRecord | null; failure: RolloutFailure | null },
  o: Observation,
): { status: RolloutStatus; action: RolloutAction } {
  const base = { fromVersion: o.fromVersion, toVersion: o.toVersion, stepEndsAt: null, figures: null };
  const idle = (reason: string | null): { status: RolloutStatus; action: RolloutAction } => ({
    status: { ...base, phase: 'idle', step: null, percent: 0, shadow: false, reason },
    action: { kind: 'none' },
  });
  if (o.fromVersion === null || o.toVersion === null) return idle('waiting for both variants to serve a registry version');
  if (o.fromVersion === o.toVersion) return idle(null);
  const { record, failure } = shared;
  if (samePair(failure, o.fromVersion, o.toVersion)) {
    return { status: { ...base, phase: failure!.state, step: null, percent: 0, shadow: false, reason: failure!.reason }, action: { kind: 'none' } };
  }
  const steps = policy.steps;
  if (record === null || !samePair(record, o.fromVersion, o.toVersion)) {
    const started: RolloutRecord = { fromVersion: o.fromVersion, toVersion: o.toVersion, state: 'running', step: 0, stepStartedAt: o.now, startedAt: o.now, pausedAt: null };
    return {
      status: { ...base, phase: 'running', step: 0, percent: steps[0]!, shadow: steps[0] === 0, stepEndsAt: o.now + policy.stepSeconds * 1000, reason: null },
      action: { kind: 'start', record: started, why: `version ${o.toVersion} of ${policy.to} differs from version ${o.fromVersion} of ${policy.from}` },
    };
  }
  if (record.state === 'succeeded') {
    return { status: { ...base, phase: 'succeeded', step: null, percent: 100, shadow: false, reason: null }, action: { kind: 'none' } };
  }
  const step = Math.min(record.step, steps.length - 1);
  const percent = steps[step]!;
  const elapsedMs = (record.pausedAt ?? o.now) - record.stepStartedAt;
  const figures = figuresOf(policy, o.to, o.from, Math.max(0, elapsedMs) / 1000);
  const stepEndsAt = record.stepStartedAt + policy.stepSeconds * 1000;
  const status: RolloutStatus = {
    ...base,
    phase: record.state,
    step,
    percent,
    shadow: percent === 0,
    stepEndsAt: record.state === 'running' ? stepEndsAt : null,
    reason: null,
    figures,
  };
  const fail = (reason: string): { status: RolloutStatus; action: RolloutAction } => ({
    status: { ...status, phase: 'failed', step: null, percent: 0, shadow: false, stepEndsAt: null, reason },
    action: { kind: 'fail', failure: { fromVersion: record.fromVersion, toVersion: record.toVersion, state: 'failed', reason, at: o.now }, why: reason },
  });
  const early = failingGate(policy, percent, figures, false);
  if (early !== null) return fail(`step ${step} (${percent} %): ${early}`);
  if (record.state === 'paused' || o.now < stepEndsAt) return { status, action: { kind: 'none' } };

  if (figures.requests < policy.gates.minRequests) {
    if (elapsedMs >= policy.maxStepSeconds * 1000) {
      return fail(`step ${step} (${percent} %): ${figures.requests} requests in ${policy.maxStepSeconds} s (max_step_seconds) < min_requests ${policy.gates.minRequests}`);
    }
    return { status: { ...status, reason: `waiting for min_requests: ${figures.requests} of ${policy.gates.minRequests}` }, action: { kind: 'none' } };
  }
  const atEnd = failingGate(policy, percent, figures, true);
  if (atEnd !== null) return fail(`step ${step} (${percent} %): ${atEnd}`);

  const why = `step ${step} (${percent} %) passed its gates: ${figures.requests} requests, error rate ${figures.errorRate === null ? 'n/a' : pct(figures.errorRate)}, p99 ratio ${figures.p99Ratio?.toFixed(2) ?? 'n/a'}, shadow agreement ${figures.shadowAgreement === null ? 'n/a' : pct(figures.shadowAgreement)}`;
  if (step === steps.length - 1) {
    const record2: RolloutRecord = { ...record, state: 'succeeded', step, pausedAt: null };
    return { status: { ...status, phase: 'succeeded', step: null, percent: 100, shadow: false, stepEndsAt: null }, action: { kind: 'succeed', record: record2, why } };
  }
  // Replicas that see the step end within a couple of polls all write the same start time.
  const nextStart = o.now - stepEndsAt <= 2 * policy.pollSeconds * 1000 ? stepEndsAt : o.now;
  const next: RolloutRecord = { ...record, step: step + 1, stepStartedAt: nextStart };
  const nextPercent = steps[step + 1]!;
  return {
    status: { ...status, step: step + 1, percent: nextPercent, shadow: nextPercent === 0, stepEndsAt: nextStart + policy.stepSeconds * 1000, figures: null },
    action: { kind: 'advance', record: next, why },
  };
}

/**
 * The endpoint's weights for a share of `percent` to `to`: the other variants split the
 * rest in proportion to their configured weights (all to `from` when they have none).
 */
export function rolloutWeights(policy: RolloutSpec, variants: readonly { name: string; weight: number }[], percent: number): number[] {
  const others = variants.filter((v) => v.name !== policy.to);
  const total = others.reduce((s, v) => s + v.weight, 0);
  return variants.map((v) => {
    if (v.name === policy.to) return percent;
    if (total > 0) return ((100 - percent) * v.weight) / total;
    return v.name === policy.from ? 100 - percent : 0;
  });
}
