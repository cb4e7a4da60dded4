/**
 * Puts the weights of a Keras HDF5 file into the tfjs-layers model built from its config.
 *
 * Keras 3 (`model.weights.h5` in a `.keras` archive) files a layer's variables under
 * `layers/<snake_case(class)>[_<n>]/vars/<i>`, numbered per class in the order of the
 * model's layers (not by layer name), with sub-objects beside `vars` (an RNN's `cell`, a
 * Bidirectional's `forward_layer`/`backward_layer`) and nested models under their own
 * `layers/`. Legacy `.h5` files list layer names and each layer's weight names in attributes.
 * Either way a layer's arrays come in the order tfjs' `layer.weights` expects; counts and
 * shapes are checked so that a layout this code does not know fails at load.
 */
import { tf, type tfl } from './tfjs.js';
import type { H5Array, H5File } from './h5.js';
import { MODEL_CLASSES, type LayerConfig } from './keras-config.js';
import { isOperation } from './keras-masks.js';

type Layer = tfl.layers.Layer;

/** The sub-objects whose variables follow a layer's own, in tfjs' weight order. */
function childObjects(layer: LayerConfig): Array<[string, LayerConfig | null]> {
  switch (layer.class_name) {
    case 'LSTM': case 'GRU': case 'SimpleRNN':
      return [['cell', null]];
    case 'Bidirectional': {
      const rnn = layer.config.layer as LayerConfig;
      return [['forward_layer', rnn], ['backward_layer', rnn]];
    }
    case 'TimeDistributed':
      return [['layer', layer.config.layer as LayerConfig]];
    case 'MultiHeadAttention':
      return [['query_dense', null], ['key_dense', null], ['value_dense', null], ['output_dense', null]];
    default:
      return [];
  }
}

/** keras.src.utils.naming.to_snake_case */
export function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Loads a Keras 3 `model.weights.h5` into `model` (built from `config`). */
export function loadKeras3Weights(model: tfl.LayersModel, config: LayerConfig, h5: H5File, prefix = 'layers'): void {
  const seen = new Map<string, number>();
  for (const layerConfig of (config.config.layers ?? []) as LayerConfig[]) {
    // No variables: inputs (tfjs may not keep them as layers) and Keras ops (mask computations).
    if (layerConfig.class_name === 'InputLayer' || isOperation(layerConfig)) continue;
    const base = snakeCase(layerConfig.class_name);
    const n = seen.get(base);
    seen.set(base, n === undefined ? 0 : n + 1);
    const path = `${prefix}/${n === undefined ? base : `${base}_${n + 1}`}`;
    const layer = model.getLayer(String(layerConfig.config.name));
    if (MODEL_CLASSES.has(layerConfig.class_name)) {
      loadKeras3Weights(layer as tfl.LayersModel, layerConfig, h5, `${path}/layers`);
    } else {
      setWeights(layer, collectVariables(h5, path, layerConfig), path);
    }
  }
}

function collectVariables(h5: H5File, path: string, layer: LayerConfig | null): H5Array[] {
  const own = (h5.keys(`${path}/vars`) ?? [])
    .sort((a, b) => Number(a) - Number(b))
    .map((i) => h5.array(`${path}/vars/${i}`)!);
  const children = layer === null ? [] : childObjects(layer).flatMap(([attr, child]) => collectVariables(h5, `${path}/${attr}`, child));
  return [...own, ...children];
}

/** Loads a legacy Keras `.h5` (whole model or weights only) into `model`. */
export function loadLegacyWeights(model: tfl.LayersModel, h5: H5File): void {
  const root = h5.keys('model_weights') === null ? '/' : 'model_weights';
  const layerNames = strings(h5.attribute(root, 'layer_names'));
  for (const name of layerNames) {
    const group = root === '/' ? name : `${root}/${name}`;
    const arrays = strings(h5.attribute(group, 'weight_names')).map((w) => {
      const a = h5.array(`${group}/${w}`);
      if (a === null) throw new Error(`the weights file lacks ${group}/${w}`);
      return a;
    });
    setWeights(model.getLayer(name), arrays, group);
  }
}

function strings(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function setWeights(layer: Layer, arrays: H5Array[], path: string): void {
  const expected = layer.weights;
  const describe = (shapes: number[][]): string => shapes.map((s) => `[${s.join(',')}]`).join(' ') || 'none';
  const fileShapes = arrays.map((a) => a.shape);
  const layerShapes = expected.map((w) => w.shape as number[]);
  if (fileShapes.length !== layerShapes.length || fileShapes.some((s, i) => s.join(',') !== layerShapes[i]!.join(','))) {
    throw new Error(
      `the weights of layer '${layer.name}' (${layer.getClassName()}) do not fit: ${path} holds ${describe(fileShapes)}, ` +
        `the layer has ${describe(layerShapes)}`,
    );
  }
  if (arrays.length === 0) return;
  const tensors = arrays.map((a, i) => {
    const dtype = expected[i]!.dtype;
    const values = a.values instanceof Float32Array && dtype === 'float32' ? a.values : Array.from(a.values, Number);
    return tf.tensor(values, a.shape, dtype);
  });
  layer.setWeights(tensors);
  tf.dispose(tensors);
}
