/**
 * Builds a tfjs-layers model from a Keras model file: a Keras 3 `.keras` archive (zip of
 * config.json, metadata.json, model.weights.h5) or a legacy HDF5 `.h5` (config in the
 * `model_config` attribute, weights under `model_weights`).
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { H5File } from './h5.js';
import { tfjsModelConfig, type KerasGeneration, type LayerConfig } from './keras-config.js';
import { loadKeras3Weights, loadLegacyWeights } from './keras-weights.js';
import { tf, tfjs, tfl } from './tfjs.js';

export async function loadKerasFile(path: string): Promise<tfl.LayersModel> {
  await tfjs();
  const bytes = await readFile(path);
  const model = await (path.endsWith('.h5') ? loadH5(bytes) : loadArchive(bytes));
  try {
    dryRun(model);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * Some tfjs layers accept a config they cannot compute (they throw NotImplemented on first
 * call): one prediction on zeros surfaces that at load rather than on a request. Skipped
 * when an input has an unknown dimension besides the batch.
 */
function dryRun(model: tfl.LayersModel): void {
  const shapes = model.inputs.map((input) => input.shape.slice(1));
  if (shapes.some((s) => s.some((d) => d === null))) return;
  try {
    tf.tidy(() => {
      const xs = model.inputs.map((input, i) => tf.zeros([1, ...(shapes[i] as number[])], input.dtype));
      model.apply(xs.length === 1 ? xs[0]! : xs, { training: false });
    });
  } catch (err) {
    throw new Error(`tfjs-layers cannot run the model: ${(err as Error).message}`, { cause: err });
  }
}

async function loadArchive(bytes: Uint8Array): Promise<tfl.LayersModel> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name === 'config.json' || f.name === 'metadata.json' || f.name === 'model.weights.h5' });
  } catch (err) {
    throw new Error(`not a .keras archive (zip): ${(err as Error).message}`);
  }
  const member = (name: string): Uint8Array => {
    const data = files[name];
    if (data === undefined) throw new Error(`the archive has no ${name}`);
    return data;
  };
  const config = JSON.parse(new TextDecoder().decode(member('config.json'))) as LayerConfig;
  const metadata = files['metadata.json'] ? (JSON.parse(new TextDecoder().decode(files['metadata.json'])) as { keras_version?: string }) : {};
  const model = await buildModel(config, generationOf(metadata.keras_version));
  const h5 = await H5File.open(member('model.weights.h5'));
  try {
    loadKeras3Weights(model, config, h5);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    h5.close();
  }
  return model;
}

async function loadH5(bytes: Uint8Array): Promise<tfl.LayersModel> {
  const h5 = await H5File.open(bytes);
  try {
    const configText = h5.attribute('/', 'model_config');
    if (typeof configText !== 'string') throw new Error('the .h5 file holds weights only (no model_config attribute)');
    const version = h5.attribute('/', 'keras_version');
    const model = await buildModel(JSON.parse(configText) as LayerConfig, generationOf(typeof version === 'string' ? version : undefined));
    try {
      loadLegacyWeights(model, h5);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  } finally {
    h5.close();
  }
}

function generationOf(kerasVersion: string | undefined): KerasGeneration {
  return kerasVersion !== undefined && Number.parseInt(kerasVersion, 10) >= 3 ? 'keras3' : 'keras2';
}

async function buildModel(config: LayerConfig, generation: KerasGeneration): Promise<tfl.LayersModel> {
  const topology = tfjsModelConfig(config, generation);
  try {
    return await tfl.models.modelFromJSON({ modelTopology: topology } as never);
  } catch (err) {
    throw new Error(`tfjs-layers cannot build the model: ${(err as Error).message}`);
  }
}
