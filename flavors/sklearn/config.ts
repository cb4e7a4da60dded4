/**
 * The sklearn flavor's MLmodel configuration (spec §4): the `sklearn` flavor's
 * `pickled_model` and `serialization_format`, and the pyfunc's `model_path` (`data` in older
 * MLflow) and `predict_fn`.
 */
import { z } from 'zod';
import { FlavorError } from '../../src/errors.js';
import type { MLmodel } from '../../src/model/mlmodel.js';

export const PREDICT_FNS = ['predict', 'predict_proba', 'predict_log_proba', 'predict_joint_log_proba'] as const;
export type PredictFn = (typeof PREDICT_FNS)[number];

export interface SklearnConfig {
  /** The pickle, relative to the model directory. */
  readonly modelFile: string;
  readonly serializationFormat: 'pickle' | 'cloudpickle';
  readonly predictFn: PredictFn;
}

const sklearnSchema = z
  .object({
    pickled_model: z.string().min(1).optional(),
    serialization_format: z.string().optional(),
  })
  .passthrough();

const pyfuncSchema = z
  .object({
    model_path: z.string().min(1).optional(),
    data: z.string().min(1).optional(),
    predict_fn: z.string().optional(),
  })
  .passthrough();

export function sklearnConfig(mlmodel: MLmodel): SklearnConfig {
  const sk = sklearnSchema.safeParse(mlmodel.flavors.sklearn ?? {});
  const pf = pyfuncSchema.safeParse(mlmodel.flavors.python_function ?? {});
  if (!sk.success || !pf.success) {
    const issues = [...(sk.error?.issues ?? []), ...(pf.error?.issues ?? [])];
    throw new FlavorError('sklearn', `MLmodel configuration is invalid: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const modelFile = sk.data.pickled_model ?? pf.data.model_path ?? pf.data.data;
  if (modelFile === undefined) throw new FlavorError('sklearn', 'MLmodel names no model file (sklearn.pickled_model or python_function.model_path)');
  const format = sk.data.serialization_format ?? 'cloudpickle';
  if (format !== 'pickle' && format !== 'cloudpickle') {
    throw new FlavorError('sklearn', `serialization_format '${format}' is not supported (supported: pickle, cloudpickle)`);
  }
  const predictFn = pf.data.predict_fn ?? 'predict';
  if (!(PREDICT_FNS as readonly string[]).includes(predictFn)) {
    throw new FlavorError('sklearn', `pyfunc predict_fn '${predictFn}' is not supported (supported: ${PREDICT_FNS.join(', ')})`);
  }
  return { modelFile, serializationFormat: format, predictFn: predictFn as PredictFn };
}
