/**
 * Bandit routing on the feedback reward (as Seldon Core 1's epsilon-greedy and Thompson
 * sampling routers): the endpoint's weights are recomputed from each variant's rewards
 * whenever feedback arrives, and requests are routed by those weights, so sticky keys still
 * pin users (they move only when the weights move) and the override header still wins.
 *
 * - epsilon_greedy: the variant with the best mean reward gets 1 - epsilon, and epsilon is
 *   spread evenly over all of them; before any reward, an even split.
 * - thompson: each variant's reward (clipped to [0, 1]) is a Beta(1 + sum, 1 + n - sum)
 *   posterior; its weight is the probability that it is the best, estimated by sampling.
 *
 * Then every variant gets at least `min_share`. Draws come from `rng` (seeded in tests).
 */
import type { BanditSpec } from './config.js';

export interface Arm {
  rewards: number;
  rewardSum: number;
}

const THOMPSON_DRAWS = 1000;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia and Tsang (shape >= 1 here: Beta parameters start at 1). */
function gamma(shape: number, rng: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function beta(a: number, b: number, rng: () => number): number {
  const x = gamma(a, rng);
  return x / (x + gamma(b, rng));
}

export function banditWeights(spec: BanditSpec, arms: readonly Arm[], rng: () => number): number[] {
  const k = arms.length;
  let raw: number[];
  if (spec.policy === 'epsilon_greedy') {
    const means = arms.map((a) => (a.rewards > 0 ? a.rewardSum / a.rewards : -Infinity));
    const best = means.reduce((bi, m, i) => (m > means[bi]! ? i : bi), 0);
    raw = means[best] === -Infinity ? arms.map(() => 1 / k) : arms.map((_, i) => spec.epsilon / k + (i === best ? 1 - spec.epsilon : 0));
  } else {
    const wins = new Array<number>(k).fill(0);
    const params = arms.map((a) => {
      const sum = Math.min(Math.max(a.rewardSum, 0), a.rewards);
      return [1 + sum, 1 + a.rewards - sum] as const;
    });
    for (let d = 0; d < THOMPSON_DRAWS; d++) {
      let best = 0;
      let bestDraw = -1;
      params.forEach(([a, b], i) => {
        const x = beta(a, b, rng);
        if (x > bestDraw) {
          bestDraw = x;
          best = i;
        }
      });
      wins[best]! += 1;
    }
    raw = wins.map((w) => w / THOMPSON_DRAWS);
  }
  return raw.map((w) => spec.minShare + (1 - k * spec.minShare) * w);
}
