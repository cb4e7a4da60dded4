/**
 * XGBoost objectives at prediction time: the link that turns base_score into the initial
 * margin (ProbToMargin) and the transform from margin to what Booster.predict returns
 * (PredTransform). XGBoost does this math in float32; each step is rounded likewise.
 */

type Transform = 'identity' | 'sigmoid' | 'exp' | 'hinge' | 'softprob' | 'softmax';

const TRANSFORMS: Record<string, Transform> = {
  'reg:squarederror': 'identity',
  'reg:linear': 'identity',
  'reg:squaredlogerror': 'identity',
  'reg:pseudohubererror': 'identity',
  'reg:absoluteerror': 'identity',
  'reg:quantileerror': 'identity',
  'binary:logitraw': 'identity',
  'rank:pairwise': 'identity',
  'rank:ndcg': 'identity',
  'rank:map': 'identity',
  'reg:logistic': 'sigmoid',
  'binary:logistic': 'sigmoid',
  'count:poisson': 'exp',
  'reg:gamma': 'exp',
  'reg:tweedie': 'exp',
  'survival:cox': 'exp',
  'survival:aft': 'exp',
  'binary:hinge': 'hinge',
  'multi:softprob': 'softprob',
  'multi:softmax': 'softmax',
};

export function checkObjective(objective: string): void {
  if (TRANSFORMS[objective] === undefined) {
    throw new Error(
      `objective '${objective}' is not supported (supported: ${Object.keys(TRANSFORMS).sort().join(', ')})`,
    );
  }
}

const f32 = Math.fround;

function transformOf(objective: string): Transform {
  const t = TRANSFORMS[objective];
  if (t === undefined) throw new Error(`objective '${objective}' is not supported`);
  return t;
}

function sigmoid(x: number): number {
  return f32(1 / f32(1 + f32(Math.exp(-x))));
}

/** base_score (one, or one per output) → the initial margin of every output. */
export function baseMargin(
  objective: string,
  baseScore: readonly number[],
  numOutputs: number,
  version: readonly [number, number, number],
): Float64Array {
  if (baseScore.length !== 1 && baseScore.length !== numOutputs) {
    throw new Error(`base_score has ${baseScore.length} values for ${numOutputs} outputs`);
  }
  const transform = transformOf(objective);
  const out = new Float64Array(numOutputs);
  for (let k = 0; k < numOutputs; k++) {
    let score = f32(baseScore.length === 1 ? baseScore[0]! : baseScore[k]!);
    // Before 1.0 the file held the margin's transform; XGBoost maps it back first.
    if (version[0] < 1 && !objective.startsWith('multi:')) score = applyScalar(transform, score);
    out[k] = probToMargin(objective, transform, score, version);
  }
  return out;
}

function probToMargin(objective: string, transform: Transform, score: number, version: readonly number[]): number {
  if (transform === 'exp') return f32(Math.log(score));
  // binary:logitraw took the logit of base_score before XGBoost 1.4, and uses it as is since.
  const logit = transform === 'sigmoid' || (objective === 'binary:logitraw' && (version[0]! < 1 || (version[0] === 1 && version[1]! < 4)));
  if (logit) return f32(-Math.log(f32(f32(1 / score) - 1)));
  return score;
}

function applyScalar(transform: Transform, x: number): number {
  switch (transform) {
    case 'sigmoid': return sigmoid(x);
    case 'exp': return f32(Math.exp(x));
    case 'hinge': return x > 0 ? 1 : 0;
    default: return x;
  }
}

export interface Prediction {
  readonly values: Float64Array;
  readonly shape: number[];
}

/** Booster.predict's output (float32 values) from margins [rows × numOutputs]. */
export function transformMargin(objective: string, margin: Float64Array, rows: number, numOutputs: number): Prediction {
  const transform = transformOf(objective);
  if (transform === 'softmax') {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = r * numOutputs;
      let best = 0;
      for (let k = 1; k < numOutputs; k++) if (margin[base + k]! > margin[base + best]!) best = k;
      out[r] = best;
    }
    return { values: out, shape: [rows] };
  }
  const out = new Float64Array(margin.length);
  if (transform === 'softprob') {
    for (let r = 0; r < rows; r++) softmaxRow(margin, out, r * numOutputs, numOutputs);
  } else {
    for (let i = 0; i < margin.length; i++) out[i] = applyScalar(transform, margin[i]!);
  }
  return { values: out, shape: numOutputs === 1 ? [rows] : [rows, numOutputs] };
}

/** XGBoost's Softmax: float32 exp(x - max), summed in double, divided in float32. */
export function softmaxRow(input: Float64Array, out: Float64Array, base: number, n: number): void {
  let max = input[base]!;
  for (let k = 1; k < n; k++) max = Math.max(max, input[base + k]!);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const e = f32(Math.exp(f32(input[base + k]! - max)));
    out[base + k] = e;
    sum += e;
  }
  const total = f32(sum);
  for (let k = 0; k < n; k++) out[base + k] = f32(out[base + k]! / total);
}
