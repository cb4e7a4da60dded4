/**
 * The TensorFlow.js runtime, loaded on first use.
 *
 * Keras files run on tfjs-layers over the WebAssembly backend (no native code, installed
 * with flowgate). TensorFlow SavedModels need `@tensorflow/tfjs-node` (libtensorflow):
 * an optional dependency whose native addon must be built (scripts/build-tfjs-node.sh).
 * tfjs has one engine per process, and importing tfjs-node makes its 'tensorflow'
 * backend the active one for every model: tensors made earlier move to it on first use.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerKerasLayers } from './keras-layers.js';

export { tf, tfl };

/** The parts of @tensorflow/tfjs-node flowgate uses (typed here: the package is optional). */
export interface TfjsNode {
  node: {
    getMetaGraphsFromSavedModel(path: string): Promise<MetaGraph[]>;
    loadSavedModel(path: string, tags: string[], signature: string): Promise<SavedModel>;
  };
}

export interface MetaGraph {
  tags: string[];
  signatureDefs: Record<string, { inputs: Record<string, TensorInfo>; outputs: Record<string, TensorInfo> }>;
}

export interface TensorInfo {
  dtype: string;
  tfDtype: string;
  name: string;
}

export interface SavedModel {
  predict(inputs: tf.NamedTensorMap): tf.NamedTensorMap;
  dispose(): void;
}

let ready: Promise<void> | undefined;

/** Makes the tfjs engine usable: the WebAssembly backend unless tfjs-node already took over. */
export function tfjs(): Promise<void> {
  ready ??= (async () => {
    registerKerasLayers();
    if (tf.getBackend() === 'tensorflow') return;
    await import('@tensorflow/tfjs-backend-wasm');
    await withoutNewProcessListeners(async () => {
      if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs WebAssembly backend failed to initialise');
      await tf.ready();
    });
  })();
  return ready;
}

let node: Promise<TfjsNode> | undefined;

/**
 * Loads @tensorflow/tfjs-node. Rejects with the reason when it is absent or its native
 * addon was not built (its require then fails before it touches the engine).
 */
export function tfjsNode(): Promise<TfjsNode> {
  node ??= (async () => {
    await tfjs();
    // require(), not import(): the package is CommonJS, optional, and must not be resolved by tsc.
    const mod = createRequire(import.meta.url)('@tensorflow/tfjs-node') as TfjsNode;
    if (tf.getBackend() !== 'tensorflow') throw new Error('@tensorflow/tfjs-node loaded but did not become the tfjs backend');
    return mod;
  })();
  node.catch(() => (node = undefined));
  return node;
}

/**
 * The Emscripten glue of the WebAssembly backend installs process-wide handlers that
 * rethrow every uncaught exception and unhandled rejection. Those decisions belong to the
 * server, not to a flavor, so the handlers it adds are taken off again.
 */
async function withoutNewProcessListeners(init: () => Promise<void>): Promise<void> {
  const uncaught = new Set(process.listeners('uncaughtException'));
  const unhandled = new Set(process.listeners('unhandledRejection'));
  try {
    await init();
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!uncaught.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!unhandled.has(l)) process.removeListener('unhandledRejection', l);
  }
}
