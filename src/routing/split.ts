/**
 * Choosing a variant by weight: a random draw for anonymous requests, and weighted
 * rendezvous (highest-random-weight) hashing for requests with a sticky key.
 *
 * Why rendezvous rather than a point on the cumulative weights: each variant scores the
 * key independently (hash of endpoint, variant name and key), and the highest score wins.
 * Raising one variant's weight only moves keys *to* it, lowering it only moves keys *away*
 * from it, and adding or removing a variant only moves the keys it gains or had; no other
 * key changes variant. On cumulative ranges, changing one weight shifts the boundaries of
 * every later variant and moves keys between variants whose weights did not change. The
 * result also does not depend on the order variants are listed in. With the logarithmic
 * score `w / -ln(u)`, u uniform in (0, 1), a variant wins with probability w / sum(w).
 */
import { fmix32, fnv1a, unitInterval } from './hash.js';

export interface Weighted {
  readonly name: string;
  readonly weight: number;
}

export class WeightedSplit {
  private readonly cumulative: Float64Array;
  private readonly total: number;
  /** FNV state after hashing `endpoint \0 variant \0`, per variant. */
  private readonly seeds: Uint32Array;
  private readonly weights: Float64Array;

  constructor(endpoint: string, variants: readonly Weighted[]) {
    const n = variants.length;
    this.cumulative = new Float64Array(n);
    this.weights = new Float64Array(n);
    this.seeds = new Uint32Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = variants[i]!;
      sum += v.weight;
      this.cumulative[i] = sum;
      this.weights[i] = v.weight;
      this.seeds[i] = fnv1a(`${endpoint}\u0000${v.name}\u0000`);
    }
    if (!(sum > 0)) throw new Error(`endpoint ${endpoint}: the variants' weights must add up to more than 0`);
    this.total = sum;
  }

  /** A variant index drawn with probability weight / total; `u` uniform in [0, 1) (a seeded draw in tests). */
  random(u: number = Math.random()): number {
    const x = u * this.total;
    const c = this.cumulative;
    const last = c.length - 1;
    for (let i = 0; i < last; i++) if (x < c[i]!) return i;
    return last;
  }

  /** The variant index `key` is pinned to: the same on every replica for the same weights. */
  sticky(key: string): number {
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < this.seeds.length; i++) {
      const w = this.weights[i]!;
      if (w === 0) continue;
      const score = w / -Math.log(unitInterval(fmix32(fnv1a(key, this.seeds[i]!))));
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best;
  }
}
