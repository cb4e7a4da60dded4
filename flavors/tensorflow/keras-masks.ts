/**
 * Keras 3 writes the masks of `Embedding(mask_zero=True)` and `Masking` into a functional
 * graph as explicit operations (`not_equal(x, 0)`, `any(not_equal(x, v), axis=-1)`) passed
 * to the next layers as `mask=` arguments. tfjs-layers computes exactly these masks
 * itself and passes them along, so those operations are dropped. Any other operation in
 * the graph (a Keras op used on data, or a custom mask) is refused by name.
 */
import type { Json, LayerConfig } from './keras-config.js';

const MASK_OPS = new Set(['NotEqual', 'Any']);

interface KerasTensorRef {
  layer: string;
  key: string;
}

/** The functional model's layers without the mask operations tfjs recomputes. */
export function withoutMaskOps(layers: LayerConfig[]): LayerConfig[] {
  const ops = new Map(layers.filter(isOperation).map((l) => [name(l), l]));
  if (ops.size === 0) return layers;
  const refuse = (op: LayerConfig, why: string): never => {
    throw new Error(
      `layer '${name(op)}' (${op.class_name}) is a Keras operation in the model graph (${why}); ` +
        'flowgate serves Keras operations only as the masks of Embedding(mask_zero=True) and Masking layers',
    );
  };
  for (const op of ops.values()) if (!MASK_OPS.has(op.class_name)) refuse(op, 'not a mask');

  // Where each op's result goes: only into `mask=` of layers, or NotEqual into Any.
  for (const layer of layers) {
    for (const node of nodes(layer)) {
      for (const ref of tensorRefs(node.args)) {
        const op = ops.get(ref.layer);
        if (op !== undefined && !(layer.class_name === 'Any' && op.class_name === 'NotEqual')) refuse(op, `used as an input of '${name(layer)}'`);
      }
      for (const [key, value] of Object.entries(node.kwargs ?? {})) {
        if (key === 'mask') continue;
        for (const ref of tensorRefs(value)) {
          const op = ops.get(ref.layer);
          if (op !== undefined) refuse(op, `passed as ${key}= to '${name(layer)}'`);
        }
      }
    }
  }

  // Each op must be the very mask tfjs derives from an Embedding(mask_zero) or Masking input.
  const embedded = new Set<string>();
  const masked = new Map<string, number>();
  for (const layer of layers) {
    const input = tensorRefs(nodes(layer)[0]?.args)[0];
    if (input === undefined) continue;
    if (layer.class_name === 'Embedding' && layer.config.mask_zero === true) embedded.add(input.key);
    if (layer.class_name === 'Masking') masked.set(input.key, Number(layer.config.mask_value ?? 0));
  }
  const notEqualOf = (op: LayerConfig): { input: string; value: unknown } => {
    const args = nodes(op)[0]?.args ?? [];
    return { input: tensorRefs(args[0])[0]?.key ?? '', value: args[1] };
  };
  for (const op of ops.values()) {
    if (op.class_name === 'NotEqual') {
      const { input, value } = notEqualOf(op);
      const ok = (embedded.has(input) && value === 0) || (masked.has(input) && masked.get(input) === value);
      if (!ok) refuse(op, 'not the mask of an Embedding or Masking layer');
    } else {
      const source = ops.get(tensorRefs(nodes(op)[0]?.args)[0]?.layer ?? '');
      const { input } = source?.class_name === 'NotEqual' ? notEqualOf(source) : { input: '' };
      if (!masked.has(input) || Number(op.config.axis) !== -1 || op.config.keepdims === true) refuse(op, 'not the mask of a Masking layer');
    }
  }
  return layers.filter((l) => !ops.has(name(l)));
}

/** Keras 3 operations (keras.ops.*) as opposed to layers. */
export function isOperation(layer: LayerConfig): boolean {
  const module = (layer as unknown as Json).module;
  return typeof module === 'string' && module.startsWith('keras.src.ops');
}

function name(layer: LayerConfig): string {
  return String(layer.config?.name ?? layer.name ?? '?');
}

function nodes(layer: LayerConfig): Array<{ args?: unknown[]; kwargs?: Json }> {
  return Array.isArray(layer.inbound_nodes) ? (layer.inbound_nodes as Array<{ args?: unknown[]; kwargs?: Json }>).filter((n) => !Array.isArray(n)) : [];
}

function tensorRefs(value: unknown): KerasTensorRef[] {
  if (Array.isArray(value)) return value.flatMap(tensorRefs);
  if (value === null || typeof value !== 'object') return [];
  const v = value as LayerConfig;
  if (v.class_name !== '__keras_tensor__') return [];
  const history = (v.config.keras_history ?? []) as unknown[];
  return [{ layer: String(history[0]), key: history.join(':') }];
}
