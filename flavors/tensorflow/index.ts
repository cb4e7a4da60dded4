/**
 * The tensorflow and keras flavors (spec §4), one loader for both MLflow flavor names.
 *
 * What MLflow wrote decides the runtime:
 * - Keras files (`data/model.keras`, `data/model.h5`: TF ≥ 2.16, Keras 3, or h5 format)
 *   load into tfjs-layers on the WebAssembly backend, with no native code;
 * - TensorFlow SavedModels (`data/model/` of TF < 2.16 or `save_exported_model=True`,
 *   `tf2model/` of a tf.Module, tf1-estimator exports) run on libtensorflow through the
 *   optional @tensorflow/tfjs-node.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FlavorError, MlflowError } from '../../src/errors.js';
import type { ModelInput, ModelOutput } from '../../src/model/data.js';
import type { Flavor, LoadedModel, LoadOptions } from '../../src/model/flavor.js';
import type { FlavorConfig, MLmodel } from '../../src/model/mlmodel.js';
import { loadKerasFile } from './keras-file.js';
import { layersRunner } from './layers-runner.js';
import { predict, type PyfuncKind } from './pyfunc.js';
import { loadSavedModel, SavedModelRuntimeMissing, type SignatureChoice } from './saved-model.js';
import type { TensorRunner } from './tensors.js';
import { tf } from './tfjs.js';

type FlavorName = 'tensorflow' | 'keras';

class TensorflowModel implements LoadedModel {
  constructor(
    readonly flavor: FlavorName,
    private readonly kind: PyfuncKind,
    private readonly runner: TensorRunner,
  ) {}

  predict(input: ModelInput): Promise<ModelOutput> {
    return predict(this.kind, this.runner, input);
  }

  async dispose(): Promise<void> {
    this.runner.dispose();
  }
}

/** What to load, where, and with which pyfunc semantics. */
interface Plan {
  kind: PyfuncKind;
  /** a Keras file, or a SavedModel directory */
  path: string;
  savedModel: SignatureChoice | null;
}

function planTensorflow(modelDir: string, mlmodel: MLmodel, config: FlavorConfig): Plan {
  const modelType = String(config.model_type ?? (mlmodel.flavors.keras !== undefined ? 'keras' : 'tf1-estimator'));
  switch (modelType) {
    case 'keras':
      return planKeras('tensorflow', join(modelDir, String(config.data ?? 'data')), ['serving_default']);
    case 'tf2-module':
      return { kind: 'tf2-module', path: join(modelDir, String(config.saved_model_dir ?? 'tf2model')), savedModel: { signatures: ['serving_default'] } };
    case 'tf1-estimator': {
      if (typeof config.saved_model_dir !== 'string') throw new FlavorError('tensorflow', 'the MLmodel names no saved_model_dir');
      const tags = Array.isArray(config.meta_graph_tags) ? config.meta_graph_tags.map(String) : undefined;
      const signature = String(config.signature_def_key ?? 'serving_default');
      return { kind: 'signature', path: join(modelDir, config.saved_model_dir), savedModel: { ...(tags ? { tags } : {}), signatures: [signature] } };
    }
    default:
      throw new FlavorError('tensorflow', `unknown model_type '${modelType}' (known: keras, tf2-module, tf1-estimator)`);
  }
}

/** MLflow saves a Keras model as data/model.keras, data/model.h5 or a SavedModel in data/model. */
function planKeras(flavor: FlavorName, dataDir: string, signatures: string[]): Plan {
  for (const file of ['model.keras', 'model.h5']) {
    const path = join(dataDir, file);
    if (existsSync(path)) return { kind: 'keras', path, savedModel: null };
  }
  const savedModel = join(dataDir, 'model');
  if (existsSync(join(savedModel, 'saved_model.pb'))) return { kind: 'keras', path: savedModel, savedModel: { signatures } };
  throw new FlavorError(flavor, `no Keras model in ${dataDir}: looked for model.keras, model.h5 and a SavedModel in model/`);
}

async function load(flavor: FlavorName, modelDir: string, mlmodel: MLmodel, options: LoadOptions): Promise<LoadedModel> {
  const config = mlmodel.flavors[flavor] ?? {};
  const plan =
    flavor === 'tensorflow'
      ? planTensorflow(modelDir, mlmodel, config)
      : planKeras('keras', join(modelDir, String(config.data ?? 'data')), config.save_exported_model === true ? ['serve', 'serving_default'] : ['serving_default', 'serve']);
  const where = relative(modelDir, plan.path);
  let runner: TensorRunner;
  try {
    runner = plan.savedModel === null ? layersRunner(await loadKerasFile(plan.path)) : await loadSavedModel(plan.path, plan.savedModel);
  } catch (err) {
    if (err instanceof SavedModelRuntimeMissing) {
      throw new FlavorError(
        flavor,
        `${where} is a TensorFlow SavedModel, which needs the optional package @tensorflow/tfjs-node (${err.message}). ` +
          'Build its native addon with `bash scripts/build-tfjs-node.sh` (offline, from a tensorflow-cpu 2.x wheel: TFJS_TF_WHEEL=<path>), ' +
          'or log the model as a Keras 3 .keras file (mlflow.keras, or mlflow.tensorflow with TensorFlow >= 2.16) or as ONNX (mlflow.onnx).',
        { cause: err },
      );
    }
    if (err instanceof FlavorError || err instanceof MlflowError) throw err;
    throw new FlavorError(flavor, `cannot load ${where}: ${(err as Error).message}`, { cause: err });
  }
  options.logger.info({ flavor, model: where, runtime: plan.savedModel === null ? 'tfjs-layers' : 'tfjs-node SavedModel', backend: tf.getBackend() }, 'tensorflow: model loaded');
  return new TensorflowModel(flavor, plan.kind, runner);
}

export const tensorflowFlavor: Flavor = { name: 'tensorflow', cpuBound: true, load: (dir, mlmodel, options) => load('tensorflow', dir, mlmodel, options) };
export const kerasFlavor: Flavor = { name: 'keras', cpuBound: true, load: (dir, mlmodel, options) => load('keras', dir, mlmodel, options) };
