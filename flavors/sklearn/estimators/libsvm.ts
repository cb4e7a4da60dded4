/**
 * libsvm's prediction (sklearn/svm/src/libsvm/svm.cpp), step for step: kernel values against
 * every support vector, one-vs-one decision values accumulated class i's vectors first then
 * class j's, votes with libsvm's tie rules, and Platt's pairwise probabilities coupled by
 * Wu-Lin-Weng's iterative method. Kernel dot products sum features in order (libsvm's sparse
 * path; its dense path calls BLAS ddot, which may group the sum differently by an ulp).
 */

export type Kernel = 'linear' | 'poly' | 'rbf' | 'sigmoid';

export interface SvmModel {
  readonly kernel: Kernel;
  readonly gamma: number;
  readonly coef0: number;
  readonly degree: number;
  /** support vectors, row-major [l, nFeatures] */
  readonly sv: Float64Array;
  readonly nFeatures: number;
  /** number of support vectors */
  readonly l: number;
  /** libsvm's sv_coef: nClass - 1 rows of l coefficients, row-major */
  readonly svCoef: Float64Array;
  /** libsvm's rho (= -sklearn's _intercept_), one per class pair */
  readonly rho: Float64Array;
  /** support vectors per class (classification) */
  readonly nSV: readonly number[];
  readonly nClass: number;
}

/** libsvm's powi: exponentiation by squaring, in its order. */
function powi(base: number, times: number): number {
  let tmp = base;
  let ret = 1.0;
  for (let t = times; t > 0; t = Math.trunc(t / 2)) {
    if (t % 2 === 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

/** Kernel values of row x (x[xFrom .. xFrom + nFeatures)) against every support vector. */
export function kernelValues(m: SvmModel, x: ArrayLike<number>, xFrom: number, out: Float64Array): void {
  const d = m.nFeatures;
  for (let s = 0; s < m.l; s++) {
    const base = s * d;
    let k: number;
    if (m.kernel === 'rbf') {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const diff = x[xFrom + j]! - m.sv[base + j]!;
        sum += diff * diff;
      }
      k = Math.exp(-m.gamma * sum);
    } else {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += x[xFrom + j]! * m.sv[base + j]!;
      if (m.kernel === 'linear') k = dot;
      else if (m.kernel === 'poly') k = powi(m.gamma * dot + m.coef0, m.degree);
      else k = Math.tanh(m.gamma * dot + m.coef0);
    }
    out[s] = k;
  }
}

/** Regression (epsilon-SVR, nu-SVR): sum of coef * kernel value, minus rho. */
export function regressionValue(m: SvmModel, kvalue: Float64Array): number {
  let sum = 0;
  for (let s = 0; s < m.l; s++) sum += m.svCoef[s]! * kvalue[s]!;
  return sum - m.rho[0]!;
}

/** One-vs-one decision values (nClass*(nClass-1)/2), as libsvm's svm_predict_values computes them. */
export function decisionValues(m: SvmModel, kvalue: Float64Array, out: Float64Array): void {
  const start = new Array<number>(m.nClass);
  start[0] = 0;
  for (let i = 1; i < m.nClass; i++) start[i] = start[i - 1]! + m.nSV[i - 1]!;
  let p = 0;
  for (let i = 0; i < m.nClass; i++) {
    for (let j = i + 1; j < m.nClass; j++) {
      let sum = 0;
      const si = start[i]!;
      const sj = start[j]!;
      const coef1 = (j - 1) * m.l;
      const coef2 = i * m.l;
      for (let k = 0; k < m.nSV[i]!; k++) sum += m.svCoef[coef1 + si + k]! * kvalue[si + k]!;
      for (let k = 0; k < m.nSV[j]!; k++) sum += m.svCoef[coef2 + sj + k]! * kvalue[sj + k]!;
      out[p] = sum - m.rho[p]!;
      p++;
    }
  }
}

/** libsvm's vote: a positive decision value votes for i, anything else for j; the first class with most votes wins. */
export function vote(nClass: number, dec: Float64Array): number {
  const votes = new Int32Array(nClass);
  let p = 0;
  for (let i = 0; i < nClass; i++) {
    for (let j = i + 1; j < nClass; j++) {
      if (dec[p]! > 0) votes[i]!++;
      else votes[j]!++;
      p++;
    }
  }
  let best = 0;
  for (let i = 1; i < nClass; i++) if (votes[i]! > votes[best]!) best = i;
  return best;
}

function sigmoidPredict(decision: number, A: number, B: number): number {
  const fApB = decision * A + B;
  // 1-p used later; avoid catastrophic cancellation
  if (fApB >= 0) return Math.exp(-fApB) / (1.0 + Math.exp(-fApB));
  return 1.0 / (1 + Math.exp(fApB));
}

/** Method 2 of Wu, Lin and Weng (2004): class probabilities from pairwise ones r[i][j]. */
function multiclassProbability(k: number, r: Float64Array[], p: Float64Array): void {
  const maxIter = Math.max(100, k);
  const Q = Array.from({ length: k }, () => new Float64Array(k));
  const Qp = new Float64Array(k);
  const eps = 0.005 / k;
  for (let t = 0; t < k; t++) {
    p[t] = 1.0 / k;
    Q[t]![t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t]![t]! += r[j]![t]! * r[j]![t]!;
      Q[t]![j] = Q[j]![t]!;
    }
    for (let j = t + 1; j < k; j++) {
      Q[t]![t]! += r[j]![t]! * r[j]![t]!;
      Q[t]![j] = -r[j]![t]! * r[t]![j]!;
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    // stopping condition, recalculate QP,pQP for numerical accuracy
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      Qp[t] = 0;
      for (let j = 0; j < k; j++) Qp[t]! += Q[t]![j]! * p[j]!;
      pQp += p[t]! * Qp[t]!;
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) {
      const error = Math.abs(Qp[t]! - pQp);
      if (error > maxError) maxError = error;
    }
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-Qp[t]! + pQp) / Q[t]![t]!;
      p[t]! += diff;
      pQp = (pQp + diff * (diff * Q[t]![t]! + 2 * Qp[t]!)) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = (Qp[j]! + diff * Q[t]![j]!) / (1 + diff);
        p[j]! /= 1 + diff;
      }
    }
  }
}

/** svm_predict_probability: Platt-scaled pairwise probabilities, clipped to [1e-7, 1-1e-7], then coupled. */
export function probabilities(nClass: number, dec: Float64Array, probA: Float64Array, probB: Float64Array, out: Float64Array): void {
  const minProb = 1e-7;
  const pairwise = Array.from({ length: nClass }, () => new Float64Array(nClass));
  let k = 0;
  for (let i = 0; i < nClass; i++) {
    for (let j = i + 1; j < nClass; j++) {
      pairwise[i]![j] = Math.min(Math.max(sigmoidPredict(dec[k]!, probA[k]!, probB[k]!), minProb), 1 - minProb);
      pairwise[j]![i] = 1 - pairwise[i]![j]!;
      k++;
    }
  }
  multiclassProbability(nClass, pairwise, out);
}
