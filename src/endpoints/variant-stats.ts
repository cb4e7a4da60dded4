/**
 * What an endpoint observed per variant, as running totals: requests answered, errors,
 * latencies (in a log-scale histogram fine enough for p50/p99 within ~10 %), and the
 * outcomes of shadow copies it ran, and the feedback its answers got (labels scored against
 * the prediction, rewards). Windows (a rollout step, a chart point) are the
 * difference of two snapshots, so observing costs a few additions and nothing is reset.
 * Fed from the same place as the Prometheus series (observeVariant, runShadow): one
 * observation path, two readers.
 */

/** Upper bound of histogram bucket i: 50 µs · 2^(i/8), up to ~2 h; one more bucket catches the rest. */
const BASE_SECONDS = 50e-6;
const PER_OCTAVE = 8;
const BUCKETS = 8 * 27;
const LOG2_BASE = Math.log2(BASE_SECONDS);

function bucketOf(seconds: number): number {
  if (!(seconds > BASE_SECONDS)) return 0;
  const i = Math.ceil((Math.log2(seconds) - LOG2_BASE) * PER_OCTAVE);
  return i >= BUCKETS ? BUCKETS : i;
}

function upperBound(i: number): number {
  return BASE_SECONDS * 2 ** (i / PER_OCTAVE);
}

export type ShadowOutcome = 'agree' | 'disagree' | 'error';

/** Running totals of one variant (immutable copies are snapshots). */
export interface VariantTotals {
  requests: number;
  errors: number;
  latency: Float64Array;
  shadowAgree: number;
  shadowDisagree: number;
  shadowErrors: number;
  /** rows labelled and scored as right or wrong (classification) */
  labeled: number;
  correct: number;
  /** rows labelled and scored by absolute error (regression), and its sum */
  measured: number;
  absError: number;
  rewards: number;
  rewardSum: number;
}

function emptyTotals(): VariantTotals {
  return {
    requests: 0,
    errors: 0,
    latency: new Float64Array(BUCKETS + 1),
    shadowAgree: 0,
    shadowDisagree: 0,
    shadowErrors: 0,
    labeled: 0,
    correct: 0,
    measured: 0,
    absError: 0,
    rewards: 0,
    rewardSum: 0,
  };
}

/** What one piece of feedback said about an answer. */
export type FeedbackScore =
  | { kind: 'label'; rows: number; correct: number }
  | { kind: 'error'; rows: number; absError: number }
  | { kind: 'reward'; reward: number };

/** What a window (the difference of two snapshots) says about a variant. */
export interface WindowStats {
  requests: number;
  errors: number;
  /** errors / requests; null without requests */
  errorRate: number | null;
  /** seconds; null without requests */
  p50: number | null;
  p99: number | null;
  shadowRequests: number;
  shadowErrors: number;
  /** agree / shadow copies run; null without any */
  shadowAgreement: number | null;
  /** online metrics from feedback; null without any */
  accuracy: number | null;
  mae: number | null;
  meanReward: number | null;
  rewards: number;
  /** rows labelled (classification) */
  labeled: number;
}

/** The q-quantile of a latency histogram (the bucket's upper bound), null when empty. */
function quantile(counts: Float64Array, total: number, q: number): number | null {
  if (total <= 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return upperBound(i);
  }
  return upperBound(counts.length - 1);
}

export function windowBetween(before: VariantTotals | null, after: VariantTotals): WindowStats {
  const b = before ?? emptyTotals();
  const requests = after.requests - b.requests;
  const errors = after.errors - b.errors;
  const latency = new Float64Array(after.latency.length);
  for (let i = 0; i < latency.length; i++) latency[i] = after.latency[i]! - b.latency[i]!;
  const agree = after.shadowAgree - b.shadowAgree;
  const shadowErrors = after.shadowErrors - b.shadowErrors;
  const shadowRequests = agree + (after.shadowDisagree - b.shadowDisagree) + shadowErrors;
  const timed = latency.reduce((s, c) => s + c, 0);
  const labeled = after.labeled - b.labeled;
  const measured = after.measured - b.measured;
  const rewards = after.rewards - b.rewards;
  return {
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    p50: quantile(latency, timed, 0.5),
    p99: quantile(latency, timed, 0.99),
    shadowRequests,
    shadowErrors,
    shadowAgreement: shadowRequests > 0 ? agree / shadowRequests : null,
    accuracy: labeled > 0 ? (after.correct - b.correct) / labeled : null,
    mae: measured > 0 ? (after.absError - b.absError) / measured : null,
    meanReward: rewards > 0 ? (after.rewardSum - b.rewardSum) / rewards : null,
    rewards,
    labeled,
  };
}

export class VariantStats {
  private readonly totals = new Map<string, VariantTotals>();

  private of(variant: string): VariantTotals {
    let t = this.totals.get(variant);
    if (t === undefined) {
      t = emptyTotals();
      this.totals.set(variant, t);
    }
    return t;
  }

  /** One request the variant answered (or failed: `error`), and how long it took. */
  request(variant: string, seconds: number, error: boolean): void {
    const t = this.of(variant);
    t.requests += 1;
    if (error) t.errors += 1;
    t.latency[bucketOf(seconds)]! += 1;
  }

  /** One shadow copy the variant ran. */
  shadow(variant: string, outcome: ShadowOutcome): void {
    const t = this.of(variant);
    if (outcome === 'agree') t.shadowAgree += 1;
    else if (outcome === 'disagree') t.shadowDisagree += 1;
    else t.shadowErrors += 1;
  }

  /** Feedback on one of the variant's answers. */
  feedback(variant: string, score: FeedbackScore): void {
    const t = this.of(variant);
    if (score.kind === 'label') {
      t.labeled += score.rows;
      t.correct += score.correct;
    } else if (score.kind === 'error') {
      t.measured += score.rows;
      t.absError += score.absError;
    } else {
      t.rewards += 1;
      t.rewardSum += score.reward;
    }
  }

  snapshot(variant: string): VariantTotals {
    const t = this.of(variant);
    return { ...t, latency: t.latency.slice() };
  }
}
