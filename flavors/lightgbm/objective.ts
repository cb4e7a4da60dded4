/**
 * LightGBM objectives at prediction time: the `objective=` line of a model file and
 * ConvertOutput, the transform from raw scores to what Booster.predict returns (float64).
 */

type Transform = 'identity' | 'square' | 'exp' | 'sigmoid' | 'softmax' | 'ova' | 'log1pexp';

export interface LgbObjective {
  readonly name: string;
  readonly transform: Transform;
  /** binary / multiclassova: the sigmoid's slope. */
  readonly sigmoid: number;
}

const BY_NAME: Record<string, Transform> = {
  regression: 'identity',
  regression_l1: 'identity',
  huber: 'identity',
  fair: 'identity',
  quantile: 'identity',
  mape: 'identity',
  lambdarank: 'identity',
  rank_xendcg: 'identity',
  custom: 'identity',
  none: 'identity',
  poisson: 'exp',
  gamma: 'exp',
  tweedie: 'exp',
  binary: 'sigmoid',
  cross_entropy: 'sigmoid',
  cross_entropy_lambda: 'log1pexp',
  multiclass: 'softmax',
  multiclassova: 'ova',
};

/** `objective=binary sigmoid:1.3`, `objective=regression sqrt`, … (absent: custom objective, raw scores). */
export function parseObjective(line: string, numOutputs: number): LgbObjective {
  const [name = 'custom', ...args] = line.trim().split(/\s+/).filter((s) => s !== '');
  let transform = BY_NAME[name];
  if (transform === undefined) {
    throw new Error(`objective '${name}' is not supported (supported: ${Object.keys(BY_NAME).sort().join(', ')})`);
  }
  const params = new Map(args.map((a) => a.split(':') as [string, string]));
  if (name === 'regression' && args.includes('sqrt')) transform = 'square';
  const sigmoid = params.has('sigmoid') ? Number(params.get('sigmoid')) : 1;
  if (!Number.isFinite(sigmoid)) throw new Error(`invalid sigmoid parameter in objective '${line}'`);
  if ((transform === 'softmax' || transform === 'ova') && numOutputs < 2) {
    throw new Error(`objective '${name}' needs several trees per iteration, the model has ${numOutputs}`);
  }
  return { name, transform, sigmoid };
}

/** In place: raw scores [rows × numOutputs] → predictions, exactly as LightGBM computes them. */
export function convertOutput(objective: LgbObjective, scores: Float64Array, numOutputs: number): void {
  const s = objective.sigmoid;
  switch (objective.transform) {
    case 'identity':
      return;
    case 'square':
      for (let i = 0; i < scores.length; i++) scores[i] = Math.sign(scores[i]!) * scores[i]! * scores[i]!;
      return;
    case 'exp':
      for (let i = 0; i < scores.length; i++) scores[i] = Math.exp(scores[i]!);
      return;
    case 'sigmoid':
    case 'ova':
      for (let i = 0; i < scores.length; i++) scores[i] = 1 / (1 + Math.exp(-s * scores[i]!));
      return;
    case 'log1pexp':
      for (let i = 0; i < scores.length; i++) scores[i] = Math.log1p(Math.exp(scores[i]!));
      return;
    case 'softmax':
      for (let base = 0; base < scores.length; base += numOutputs) softmax(scores, base, numOutputs);
      return;
  }
}

/** LightGBM's Common::Softmax. */
function softmax(v: Float64Array, base: number, n: number): void {
  let max = v[base]!;
  for (let k = 1; k < n; k++) max = Math.max(v[base + k]!, max);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    v[base + k] = Math.exp(v[base + k]! - max);
    sum += v[base + k]!;
  }
  for (let k = 0; k < n; k++) v[base + k] = v[base + k]! / sum;
}
