/**
 * Builds a tfjs-layers model from a Keras model file: a Keras 3 `.keras` archive (zip of
 * config.json, metadata.json, model.weights.h5) or a legacy HDF5 `.h5` (config in the
 * `model_config` attribute, weights under `model_weights`). A `.keras` archive is
 * checked before anything is inflated: the members read may not declare more than
 * KERAS_MAX_UNZIPPED_BYTES in all, nor inflate more than KERAS_MAX_RATIO times their
 * compressed size (past KERAS_RATIO_FLOOR bytes), so a zip bomb is a clear load error and
 * not an out-of-memory kill. Inflating never writes past a member's declared size.
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

/** The most bytes the members of a `.keras` archive may inflate to, in all (tfjs cannot hold a larger model). */
export const KERAS_MAX_UNZIPPED_BYTES = 2 * 1024 ** 3;
/** The most a member may inflate, as a multiple of its compressed size (deflate itself tops out near 1032). */
export const KERAS_MAX_RATIO = 200;
/** Members smaller than this are not held to the ratio (a small config.json compresses well). */
export const KERAS_RATIO_FLOOR = 16 * 1024 * 1024;

const KERAS_MEMBERS = new Set(['config.json', 'metadata.json', 'model.weights.h5']);

class ZipBomb extends Error {}

async function loadArchive(bytes: Uint8Array): Promise<tfl.LayersModel> {
  let files: Record<string, Uint8Array>;
  let unzipped = 0;
  const filter = (f: { name: string; size: number; originalSize: number }): boolean => {
    if (!KERAS_MEMBERS.has(f.name)) return false;
    unzipped += f.originalSize;
    if (unzipped > KERAS_MAX_UNZIPPED_BYTES) {
      throw new ZipBomb(`the .keras archive's members would inflate to more than ${KERAS_MAX_UNZIPPED_BYTES} bytes (${f.name}: ${f.originalSize} bytes); refused as a zip bomb`);
    }
    if (f.originalSize > KERAS_RATIO_FLOOR && f.originalSize > f.size * KERAS_MAX_RATIO) {
      throw new ZipBomb(
        `the .keras archive's ${f.name} would inflate ${Math.round(f.originalSize / Math.max(1, f.size))} times (${f.size} to ${f.originalSize} bytes), past the limit of ${KERAS_MAX_RATIO}; refused as a zip bomb`,
      );
    }
    return true;
  };
  try {
    files = unzipSync(bytes, { filter });
  } catch (err) {
    if (err instanceof ZipBomb) throw err;
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
