/**
 * A TensorFlow SavedModel signature as a TensorRunner, run by libtensorflow through
 * @tensorflow/tfjs-node (optional; see scripts/build-tfjs-node.sh).
 */
import type { Tensor } from '../../src/model/data.js';
import { fromTf, toTf, type TensorRunner } from './tensors.js';
import { tf, tfjsNode, type MetaGraph } from './tfjs.js';

export interface SignatureChoice {
  /** the MetaGraph's tag set; default: the one tagged 'serve' */
  tags?: string[];
  /** signature keys in order of preference; a SavedModel with one signature uses it anyway */
  signatures: string[];
}

/** Thrown when tfjs-node is not usable, so the flavor can say what would work. */
export class SavedModelRuntimeMissing extends Error {}

export async function loadSavedModel(dir: string, choice: SignatureChoice): Promise<TensorRunner> {
  let tfn: Awaited<ReturnType<typeof tfjsNode>>;
  try {
    tfn = await tfjsNode();
  } catch (err) {
    throw new SavedModelRuntimeMissing(whyMissing(err as Error));
  }
  const metaGraphs = await tfn.node.getMetaGraphsFromSavedModel(dir);
  const meta = pickMetaGraph(metaGraphs, choice.tags);
  const key = pickSignature(meta, choice.signatures);
  const signature = meta.signatureDefs[key]!;
  const model = await tfn.node.loadSavedModel(dir, meta.tags, key);
  const inputs = Object.entries(signature.inputs).map(([name, info]) => ({ name, dtype: info.dtype as tf.DataType }));
  const outputs = Object.keys(signature.outputs);
  return {
    inputs,
    outputs,
    async run(feeds: Tensor[]): Promise<Tensor[]> {
      const results = tf.tidy(() => {
        const named: tf.NamedTensorMap = {};
        inputs.forEach((input, i) => (named[input.name] = toTf(feeds[i]!, input.dtype)));
        const out = model.predict(named);
        return outputs.map((name) => out[name]!);
      });
      try {
        return results.map(fromTf);
      } finally {
        tf.dispose(results);
      }
    },
    dispose: () => model.dispose(),
  };
}

function pickMetaGraph(metaGraphs: MetaGraph[], tags: string[] | undefined): MetaGraph {
  const wanted = tags ?? ['serve'];
  const same = (a: string[]): boolean => a.length === wanted.length && wanted.every((t) => a.includes(t));
  const meta = metaGraphs.find((m) => same(m.tags)) ?? (tags === undefined ? metaGraphs.find((m) => m.tags.includes('serve')) : undefined);
  if (meta === undefined) {
    throw new Error(`the SavedModel has no MetaGraph tagged [${wanted.join(', ')}] (it has ${metaGraphs.map((m) => `[${m.tags.join(', ')}]`).join(' ')})`);
  }
  return meta;
}

function pickSignature(meta: MetaGraph, preferred: string[]): string {
  const keys = Object.keys(meta.signatureDefs).filter((k) => !k.startsWith('__'));
  const key = preferred.find((k) => keys.includes(k)) ?? (keys.length === 1 ? keys[0] : undefined);
  if (key === undefined) {
    throw new Error(`the SavedModel has no signature ${preferred.join(' or ')} (it has ${keys.join(', ') || 'none'})`);
  }
  return key;
}

function whyMissing(err: Error): string {
  const message = err.message.split('\n')[0] ?? '';
  if (message.includes('tfjs_binding')) return 'its native addon is not built';
  if (message.includes("'@tensorflow/tfjs-node'")) return 'it is not installed';
  return message;
}
