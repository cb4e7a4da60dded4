/**
 * The standard normal distribution as scipy.stats.norm gives it to QuantileTransformer:
 * `cdf` (scipy's ndtr) and `ppf` (ndtri), to double precision. The CDF is a power series near
 * the centre and the continued fraction of Mills' ratio in the tails (both accurate relative to
 * the tail probability, where a difference from 1 would lose digits); the quantile solves
 * cdf(x) = p by Newton's method from Abramowitz & Stegun's 26.2.23 estimate, and uses the
 * symmetry ppf(p) = -ppf(1 - p) above 1/2 as ndtri does (1 - p is exact there).
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

function density(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** Φ(x) for x <= 0, accurate relative to its (possibly tiny) value. */
function lowerTail(x: number): number {
  if (x > -3) {
    // Φ(x) = 1/2 + φ(x) Σ x^(2n+1) / (1·3·…·(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 500; n++) {
      term *= (x * x) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return 0.5 + density(x) * sum;
  }
  // Φ(x) = φ(x) / (t + 1/(t + 2/(t + 3/(t + …)))), t = -x, by Lentz's method
  const t = -x;
  const tiny = 1e-300;
  let f = t;
  let C = t;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    D = t + n * D;
    D = D === 0 ? tiny : D;
    C = t + n / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return density(x) / f;
}

/** scipy.special.ndtr: P(Z <= x). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return x <= 0 ? lowerTail(x) : 1 - lowerTail(-x);
}

/** x < 0 with Φ(x) = p, for 0 < p < 1/2. */
function lowerQuantile(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 100; i++) {
    const step = (lowerTail(Math.min(x, 0)) - p) / density(x);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

/** scipy.special.ndtri: the x with P(Z <= x) = p; ±inf at 0 and 1, NaN outside [0, 1]. */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  return p < 0.5 ? lowerQuantile(p) : -lowerQuantile(1 - p);
}
