/**
 * MLmodel `onnx_session_options` (as mlflow.onnx accepts them) → onnxruntime session options.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { z } from 'zod';
import { FlavorError } from '../../src/errors.js';

const schema = z
  .object({
    inter_op_num_threads: z.number().int().nonnegative().nullish(),
    intra_op_num_threads: z.number().int().nonnegative().nullish(),
    execution_mode: z.string().nullish(),
    graph_optimization_level: z.number().int().nullish(),
    extra_session_config: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough()
  .nullish();

// onnxruntime's GraphOptimizationLevel enum values, as Python writes them.
const OPTIMIZATION_LEVELS: Record<number, InferenceSession.SessionOptions['graphOptimizationLevel']> = {
  0: 'disabled',
  1: 'basic',
  2: 'extended',
  99: 'all',
};

export function sessionOptionsFrom(raw: unknown): InferenceSession.SessionOptions {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new FlavorError('onnx', `invalid onnx_session_options: ${parsed.error.message}`);
  const o = parsed.data ?? {};
  const options: InferenceSession.SessionOptions = { executionProviders: ['cpu'] };
  if (o.inter_op_num_threads) options.interOpNumThreads = o.inter_op_num_threads;
  if (o.intra_op_num_threads) options.intraOpNumThreads = o.intra_op_num_threads;
  if (o.execution_mode) {
    const mode = o.execution_mode.toLowerCase();
    if (mode !== 'sequential' && mode !== 'parallel') {
      throw new FlavorError('onnx', `unsupported execution_mode '${o.execution_mode}' (expected SEQUENTIAL or PARALLEL)`);
    }
    options.executionMode = mode;
  }
  if (o.graph_optimization_level !== null && o.graph_optimization_level !== undefined) {
    const level = OPTIMIZATION_LEVELS[o.graph_optimization_level];
    if (level === undefined) throw new FlavorError('onnx', `unsupported graph_optimization_level ${o.graph_optimization_level}`);
    options.graphOptimizationLevel = level;
  }
  if (o.extra_session_config) {
    options.extra = { session: Object.fromEntries(Object.entries(o.extra_session_config).map(([k, v]) => [k, String(v)])) };
  }
  return options;
}
