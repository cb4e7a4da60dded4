/**
 * Every flavor flowgate serves, by MLmodel flavor name. Loaded lazily so that a process
 * serving ONNX never pays for the others' libraries.
 */
import { FlavorError } from '../src/errors.js';
import type { Flavor } from '../src/model/flavor.js';

const FLAVORS: Record<string, () => Promise<Flavor>> = {
  onnx: async () => (await import('./onnx/index.js')).onnxFlavor,
  tensorflow: async () => (await import('./tensorflow/index.js')).tensorflowFlavor,
  keras: async () => (await import('./tensorflow/index.js')).kerasFlavor,
  xgboost: async () => (await import('./xgboost/index.js')).xgboostFlavor,
  lightgbm: async () => (await import('./lightgbm/index.js')).lightgbmFlavor,
  sklearn: async () => (await import('./sklearn/index.js')).sklearnFlavor,
};

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
