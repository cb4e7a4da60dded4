/**
 * Every flavor flowgate serves, by MLmodel flavor name. Loaded lazily so that a process
 * serving ONNX never pays for the others' libraries.
 */
import { FlavorError } from '../src/errors.js';
import type { Flavor, Runtime } from '../src/model/flavor.js';
import { servingFlavorName, type MLmodel } from '../src/model/mlmodel.js';

const FLAVORS: Record<string, () => Promise<Flavor>> = {
  onnx: async () => (await import('./onnx/index.js')).onnxFlavor,
  tensorflow: async () => (await import('./tensorflow/index.js')).tensorflowFlavor,
  keras: async () => (await import('./tensorflow/index.js')).kerasFlavor,
  xgboost: async () => (await import('./xgboost/index.js')).xgboostFlavor,
  lightgbm: async () => (await import('./lightgbm/index.js')).lightgbmFlavor,
  sklearn: async () => (await import('./sklearn/index.js')).sklearnFlavor,
};

const python = async (): Promise<Flavor> => (await import('./python/index.js')).pythonFlavor;

export const supportedFlavors = (): string[] => Object.keys(FLAVORS).sort();

/** Throws when flowgate has no loader for this flavor (what `validate --resolve` checks from MLmodel alone). */
export function checkServableFlavor(name: string): void {
  if (FLAVORS[name] === undefined) {
    throw new FlavorError(
      name,
      `flowgate cannot serve models of this flavor yet (supported: ${supportedFlavors().join(', ')}). ` +
        'Log the model with one of these flavors, or export it to ONNX (mlflow.onnx.log_model).',
    );
  }
}

export async function flavorFor(name: string): Promise<Flavor> {
  checkServableFlavor(name);
  return FLAVORS[name]!();
}

/**
 * The flavor that serves a model: its native flavor when flowgate has one (unless the
 * runtime is forced to `python`), else the Python runtime for any python_function model.
 * A native flavor that fails to load never falls back to Python by itself: that would run
 * the model's pickles, which the native loaders refuse to do.
 */
export async function flavorForModel(mlmodel: MLmodel, runtime: Runtime = 'auto'): Promise<Flavor> {
  const name = servingFlavorName(mlmodel);
  if (runtime === 'python') return python();
  return FLAVORS[name] !== undefined ? flavorFor(name) : python();
}
