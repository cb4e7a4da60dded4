/**
 * Keras model JSON (Keras 3 `config.json`, or the `model_config` of a legacy `.h5`) →
 * the Keras-2-style topology tfjs-layers deserialises.
 *
 * Keras 3 wraps dtypes in DTypePolicy objects, names the input shape `batch_shape`,
 * writes functional graph edges as `{args: [__keras_tensor__ …]}` and single model
 * inputs/outputs unwrapped; tfjs wants the Keras 2 forms. Only layers whose inference
 * tfjs-layers computes as Keras does are accepted; anything else fails here, by name,
 * rather than giving different predictions later.
 */
import { withoutMaskOps } from './keras-masks.js';

export type Json = Record<string, unknown>;

export interface LayerConfig {
  class_name: string;
  config: Json;
  name?: string;
  inbound_nodes?: unknown;
}

/** Keras 3 files ('keras3') vs tf.keras 2.x files ('keras2'): a few semantics differ. */
export type KerasGeneration = 'keras2' | 'keras3';

export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Sequential', 'Functional', 'Model']);

/** Layers whose weights are their own variables (plus, for RNNs, their cell's). */
const WEIGHTED = [
  'Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'Conv3DTranspose', 'DepthwiseConv2D', 'SeparableConv2D',
  'BatchNormalization', 'LayerNormalization', 'Embedding', 'PReLU', 'Normalization',
  'LSTM', 'GRU', 'SimpleRNN', 'Bidirectional', 'TimeDistributed', 'Attention', 'MultiHeadAttention',
];
const WEIGHTLESS = [
  'InputLayer', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax',
  'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Masking', 'Rescaling', 'CenterCrop',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
  'Concatenate', 'Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Dot',
];
export const SUPPORTED_LAYERS: ReadonlySet<string> = new Set([...WEIGHTED, ...WEIGHTLESS]);

/** Activations tfjs computes exactly as Keras (Keras 3's hard_sigmoid is relu6(x+3)/6, tfjs' is Keras 2's). */
const ACTIVATIONS = new Set([
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'softmax', 'log_softmax', 'softplus', 'softsign', 'tanh',
  'swish', 'silu', 'mish', 'gelu',
]);
const ACTIVATION_ALIASES: Record<string, string> = { silu: 'swish' };

/** Config keys that only matter to Keras' own saving or training. */
const DROPPED_KEYS = new Set(['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id']);

/** The tfjs-layers topology for a Keras model config; throws naming what it cannot serve. */
export function tfjsModelConfig(model: LayerConfig, generation: KerasGeneration): Json {
  if (!MODEL_CLASSES.has(model.class_name)) {
    throw new Error(`the saved model is a ${model.class_name}; only Sequential and Functional models are supported (subclassed models need their Python code)`);
  }
  return clean(convertModel(model, generation)) as Json;
}

function convertModel(model: LayerConfig, generation: KerasGeneration, nested = false): LayerConfig {
  const config = { ...model.config };
  let layers = (Array.isArray(config.layers) ? config.layers : []) as LayerConfig[];
  const functional = model.class_name !== 'Sequential';
  if (functional) layers = withoutMaskOps(layers);
  if (nested && !functional && layers[0]?.class_name === 'InputLayer' && layers.length > 1) {
    // tfjs cannot call a nested Sequential that starts with an InputLayer ("Graph
    // disconnected"); Keras 2 put the input shape on the first layer instead.
    const [input, first, ...rest] = layers as [LayerConfig, LayerConfig, ...LayerConfig[]];
    const shape = input.config.batch_shape ?? input.config.batch_input_shape;
    layers = [{ ...first, config: { ...first.config, batch_input_shape: shape } }, ...rest];
  }
  // tfjs (like Keras 2) counts a nested model's own graph as its node 0, so its first call is
  // node 1; Keras 3 numbers that call 0.
  const nestedModels = new Set(layers.filter((l) => MODEL_CLASSES.has(l.class_name)).map((l) => String(l.config.name)));
  config.layers = layers.map((layer, i) => {
    const converted = MODEL_CLASSES.has(layer.class_name) ? convertModel(layer, generation, true) : convertLayer(layer, generation);
    if (!functional && i === 0 && layer.class_name !== 'InputLayer' && Array.isArray(model.config.build_input_shape)) {
      // A Sequential saved without an InputLayer records its input shape on the model.
      converted.config = { ...converted.config, batch_input_shape: model.config.build_input_shape };
    }
    if (functional) {
      converted.inbound_nodes = inboundNodes(layer, nestedModels);
      if (ATTENTION_LAYERS.has(layer.class_name)) Object.assign(converted, attentionInputs(converted));
      if (causalMaskOption(layer)) converted.config = { ...converted.config, use_causal_mask: true };
    }
    return converted;
  });
  if (functional) {
    config.input_layers = tensorRefs(config.input_layers, 'inputs', nestedModels);
    config.output_layers = tensorRefs(config.output_layers, 'outputs', nestedModels);
  }
  return { ...model, config };
}

function convertLayer(layer: LayerConfig, generation: KerasGeneration): LayerConfig {
  const cls = layer.class_name;
  const name = String(layer.config?.name ?? layer.name ?? '?');
  const where = `layer '${name}' (${cls})`;
  if (!SUPPORTED_LAYERS.has(cls)) {
    throw new Error(`${where} is not supported: flowgate's Keras loader serves ${[...SUPPORTED_LAYERS].sort().join(', ')} and nested Sequential/Functional models`);
  }
  const config: Json = { ...layer.config };
  for (const key of ['activation', 'recurrent_activation']) {
    if (config[key] !== undefined && config[key] !== null) config[key] = activation(config[key], generation, where);
  }
  const unsupported = (what: string): never => {
    throw new Error(`${where} uses ${what}, which tfjs-layers does not compute as Keras does`);
  };
  switch (cls) {
    case 'InputLayer':
      if (config.batch_shape !== undefined) config.batch_input_shape = config.batch_shape;
      if (config.sparse === true || config.ragged === true) unsupported('sparse/ragged inputs');
      delete config.batch_shape;
      delete config.sparse;
      delete config.ragged;
      delete config.optional;
      // Keras casts inputs to the layers' compute dtype, float32 here.
      if (config.dtype === 'float64' || config.dtype === 'float16') config.dtype = 'float32';
      break;
    case 'ReLU':
      if (Number(config.negative_slope ?? 0) !== 0 || Number(config.threshold ?? 0) !== 0) unsupported('negative_slope/threshold');
      delete config.negative_slope;
      delete config.threshold;
      break;
    case 'LeakyReLU':
      if (config.negative_slope !== undefined) config.alpha = config.negative_slope;
      delete config.negative_slope;
      break;
    case 'ELU':
      if (Number(config.alpha ?? 1) !== 1) unsupported('alpha != 1');
      break;
    case 'Conv1D': case 'Conv2D': case 'Conv3D': case 'Conv2DTranspose': case 'Conv3DTranspose':
      if (Number(config.groups ?? 1) !== 1) unsupported('groups > 1');
      if (config.padding === 'causal') {
        if (cls !== 'Conv1D') unsupported("padding='causal'");
        return { ...layer, class_name: 'CausalConv1D', config };
      }
      break;
    case 'GlobalMaxPooling1D': case 'GlobalMaxPooling2D': case 'GlobalAveragePooling1D': case 'GlobalAveragePooling2D':
      if (config.keepdims === true) unsupported('keepdims=True');
      delete config.keepdims;
      break;
    case 'LayerNormalization':
      if (config.rms_scaling === true) unsupported('rms_scaling=True');
      delete config.rms_scaling;
      break;
    case 'BatchNormalization':
      if (config.renorm === true) unsupported('renorm=True');
      break;
    case 'GRU':
      // Keras' default: a separate recurrent bias, the reset gate after the recurrent matmul (flowgate's own layer)
      if (config.reset_after === true) return { ...layer, class_name: 'ResetAfterGRU', config };
      break;
    case 'Attention':
      if (Number(config.dropout ?? 0) !== 0) delete config.dropout; // training only
      break;
    case 'MultiHeadAttention': {
      if (config.use_gate === true) unsupported('use_gate=True');
      const axes = config.attention_axes;
      if (axes !== null && axes !== undefined && !(Array.isArray(axes) && axes.length === 1 && (axes[0] === 1 || axes[0] === -2)) && axes !== 1 && axes !== -2) {
        unsupported(`attention_axes=${JSON.stringify(axes)} (flowgate attends over the sequence axis of [batch, T, dim] inputs)`);
      }
      break;
    }
    case 'Bidirectional': case 'TimeDistributed': {
      const inner = config.layer as LayerConfig;
      config.layer = convertLayer(inner, generation);
      // tfjs builds the backward RNN by mirroring the forward one, as Keras does unless told otherwise.
      const backward = config.backward_layer as LayerConfig | undefined;
      if (backward !== undefined && backward !== null) {
        if (backward.class_name !== inner.class_name) unsupported('a backward layer of another class');
        delete config.backward_layer;
      }
      break;
    }
  }
  return { ...layer, config };
}

function activation(value: unknown, generation: KerasGeneration, where: string): unknown {
  const name = typeof value === 'string' ? value : (value as LayerConfig | null)?.class_name;
  if (typeof name === 'string' && (ACTIVATIONS.has(name) || (name === 'hard_sigmoid' && generation === 'keras2'))) {
    return ACTIVATION_ALIASES[name] ?? name;
  }
  throw new Error(`${where} uses the activation ${JSON.stringify(name ?? value)}, which is not supported (supported: ${[...ACTIVATIONS].sort().join(', ')})`);
}

/** Call arguments that are graph tensors, in the layer's input order: MultiHeadAttention(query, value, key). */
const TENSOR_KWARGS: Record<string, string[]> = { MultiHeadAttention: ['query', 'value', 'key'] };

/** Call options flowgate's attention layers honour; any other option is refused by name. */
const ATTENTION_OPTIONS = new Set(['use_causal_mask', 'training', 'return_attention_scores']);

/**
 * Keras 3 graph edges → Keras 2's `[[[layer, node, tensor, {}], …]]`; Keras 2 edges pass through.
 * A tensor passed by keyword is kept only where the layer takes it as an input; any other
 * (an RNN's initial_state, an attention mask) is refused rather than silently dropped.
 */
function inboundNodes(layer: LayerConfig, nestedModels: ReadonlySet<string>): unknown {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes)) return [];
  const where = `layer '${String(layer.config?.name ?? layer.name ?? '?')}' (${layer.class_name})`;
  return nodes.map((node) => {
    if (Array.isArray(node)) {
      if (ATTENTION_LAYERS.has(layer.class_name)) throw new Error(`${where} saved by Keras 2 is not supported: save the model with Keras 3`);
      return node;
    }
    const refs: unknown[][] = [];
    collectKerasTensors((node as Json).args, refs, nestedModels);
    const kwargs = ((node as Json).kwargs ?? {}) as Json;
    const inputs = TENSOR_KWARGS[layer.class_name] ?? [];
    for (const name of inputs) if (kwargs[name] !== undefined && kwargs[name] !== null) collectKerasTensors(kwargs[name], refs, nestedModels);
    for (const [name, value] of Object.entries(kwargs)) {
      if (inputs.includes(name)) continue;
      const tensors: unknown[][] = [];
      collectKerasTensors(value, tensors, nestedModels);
      // masks are recomputed by tfjs from the graph (keras-masks.ts makes that equivalent), except for attention
      if (tensors.length > 0 && !(name === 'mask' && !ATTENTION_LAYERS.has(layer.class_name))) throw new Error(`${where} is called with a tensor for '${name}', which flowgate's Keras loader does not support`);
      if (ATTENTION_LAYERS.has(layer.class_name) && !ATTENTION_OPTIONS.has(name)) throw new Error(`${where} is called with ${name}=${JSON.stringify(value)}, which is not supported`);
      if (name === 'return_attention_scores' && value === true) throw new Error(`${where} returns its attention scores, which is not supported`);
    }
    return refs;
  });
}

const ATTENTION_LAYERS: ReadonlySet<string> = new Set(['Attention', 'MultiHeadAttention']);

/**
 * Self-attention passes one tensor as query, value and key. tfjs frees a tensor once its
 * consumers have run, counting each occurrence, so a repeated input can be freed before
 * another layer reads it: an attention layer gets each distinct tensor once, and
 * `input_map` says which of them is the query, the value and the key.
 */
function attentionInputs(layer: LayerConfig): Pick<LayerConfig, 'inbound_nodes' | 'config'> {
  const maps = new Set<string>();
  const nodes = (layer.inbound_nodes as unknown[][][]).map((refs) => {
    const unique: unknown[][] = [];
    const keys: string[] = [];
    const map = refs.map((ref) => {
      const key = JSON.stringify(ref.slice(0, 3));
      let i = keys.indexOf(key);
      if (i < 0) (i = keys.push(key) - 1), unique.push(ref);
      return i;
    });
    maps.add(JSON.stringify(map));
    return { unique, map };
  });
  if (maps.size > 1) throw new Error(`layer '${String(layer.config.name)}' (${layer.class_name}) is called with different input patterns, which is not supported`);
  return { inbound_nodes: nodes.map((n) => n.unique), config: { ...layer.config, input_map: nodes[0]?.map ?? null } };
}

/** Whether an attention layer is called with use_causal_mask=True (every call alike). */
function causalMaskOption(layer: LayerConfig): boolean {
  if (!ATTENTION_LAYERS.has(layer.class_name) || !Array.isArray(layer.inbound_nodes)) return false;
  const flags = new Set((layer.inbound_nodes as Json[]).map((n) => ((n.kwargs ?? {}) as Json).use_causal_mask === true));
  if (flags.size > 1) throw new Error(`layer '${String(layer.config.name)}' (${layer.class_name}) is called both with and without use_causal_mask, which is not supported`);
  return flags.has(true);
}

function collectKerasTensors(value: unknown, out: unknown[][], nestedModels: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectKerasTensors(v, out, nestedModels);
  } else if (value !== null && typeof value === 'object') {
    const v = value as LayerConfig;
    if (v.class_name === '__keras_tensor__') {
      const [layer, node, tensor] = (v.config.keras_history ?? []) as [string, number, number];
      out.push([layer, nodeIndex(layer, node, nestedModels), tensor, {}]);
    }
  }
}

function nodeIndex(layer: string, node: number, nestedModels: ReadonlySet<string>): number {
  return nestedModels.has(layer) ? node + 1 : node;
}

/**
 * Keras 3 writes one model input/output as `["x", 0, 0]`, Keras 2 as `[["x", 0, 0]]`;
 * a dict of outputs has no tfjs equivalent.
 */
function tensorRefs(value: unknown, what: string, nestedModels: ReadonlySet<string>): unknown {
  if (!Array.isArray(value)) throw new Error(`a Functional model with named (dict) ${what} is not supported`);
  if (typeof value[0] !== 'string') return value;
  const [layer, node, tensor] = value as [string, number, number];
  return [[layer, nodeIndex(layer, node, nestedModels), tensor]];
}

/** Drops Keras-only keys, unwraps dtype policies, neutralises training-only objects. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Json;
  if (v.class_name === 'DTypePolicy' || v.class_name === 'DTypePolicyMap') return dtypePolicy(v);
  const out: Json = {};
  for (const [key, x] of Object.entries(v)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key.endsWith('_initializer')) {
      // The weights file overwrites every variable; zeros avoid tfjs' slow or missing initializers.
      out[key] = { class_name: 'Zeros', config: {} };
    } else if (key.endsWith('_regularizer') || key.endsWith('_constraint')) {
      out[key] = null;
    } else {
      out[key] = clean(x);
    }
  }
  if (typeof out.dtype === 'string') out.dtype = dtypeName(out.dtype);
  return out;
}

function dtypePolicy(policy: Json): string {
  const name = String((policy.config as Json | undefined)?.name ?? 'float32');
  return dtypeName(name);
}

/** Mixed-precision policies keep float32 variables; tfjs computes in float32. */
function dtypeName(name: string): string {
  if (name === 'float32' || name === 'int32' || name === 'bool' || name === 'string') return name;
  if (name === 'mixed_float16' || name === 'mixed_bfloat16') return 'float32';
  if (name === 'int64' || name === 'uint8' || name === 'int8' || name === 'int16') return 'int32';
  throw new Error(`the dtype ${name} is not supported (tfjs computes in float32/int32)`);
}
