/**
 * Which TensorFlow runtimes this machine has, for tests that need @tensorflow/tfjs-node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MLFLOW_REAL_TF, REPO } from '../../helpers/fixtures.js';

/** tfjs-node is usable when its native addon was built (scripts/build-tfjs-node.sh). */
export const HAVE_TFJS_NODE = existsSync(join(REPO, 'node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'));
export const SKIP_TFJS_NODE_MESSAGE =
  '@tensorflow/tfjs-node has no native addon here: SavedModel tests skipped (build it with `bash scripts/build-tfjs-node.sh`)';

if (!HAVE_TFJS_NODE) console.warn(SKIP_TFJS_NODE_MESSAGE);
// libtensorflow's C++ INFO lines (SavedModel loading) would flood the test output.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

export interface Expected {
  name: string;
  flavor: string;
  extra_rows: { format: string; dtype: string; value: number[][] };
  extra_rows_predictions: number[][];
  input_example_predictions: number[][];
  saved_model: { dir: string } | null;
}

export function expected(name: string): Expected {
  return JSON.parse(readFileSync(join(MLFLOW_REAL_TF, 'expected', `${name}.json`), 'utf8')) as Expected;
}

/** The real-MLflow TensorFlow and Keras models. */
export function tensorflowModels(): string[] {
  if (!existsSync(join(MLFLOW_REAL_TF, 'expected'))) return [];
  return ['keras3_iris_mlp', 'keras3_iris_mlp_exported', 'tf_keras_diabetes_regressor', 'tf_keras_iris_mlp', 'tf_module_iris_linear'].filter(
    (n) => existsSync(join(MLFLOW_REAL_TF, 'expected', `${n}.json`)),
  );
}
