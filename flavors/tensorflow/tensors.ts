/**
 * flowgate tensors (Float64Array or plain arrays + a numpy dtype) ⇄ tfjs tensors, and the
 * runner contract both TensorFlow backends (tfjs-layers, tfjs-node SavedModels) implement.
 */
import { toNumber, type DType, type Tensor } from '../../src/model/data.js';
import { tf } from './tfjs.js';

export interface RunnerInput {
  name: string;
  dtype: tf.DataType;
}

/** A model as a function of named tensors: feeds in `inputs` order, results in `outputs` order. */
export interface TensorRunner {
  readonly inputs: RunnerInput[];
  readonly outputs: string[];
  run(feeds: Tensor[]): Promise<Tensor[]>;
  dispose(): void;
}

/** numpy's conversion of the data into the model's input dtype (as np.asarray(x, dtype) does). */
export function toTf(t: Tensor, dtype: tf.DataType): tf.Tensor {
  if (dtype === 'string') return tf.tensor(Array.from(t.values, (v) => String(v)), t.shape, 'string');
  const values = numbers(t);
  switch (dtype) {
    case 'float32':
      return tf.tensor(Float32Array.from(values), t.shape, 'float32');
    case 'int32':
      return tf.tensor(Int32Array.from(values, Math.trunc), t.shape, 'int32');
    case 'bool':
      return tf.tensor(Uint8Array.from(values, (v) => (v ? 1 : 0)), t.shape, 'bool');
    default:
      throw new Error(`the model input dtype ${dtype} is not supported`);
  }
}

function numbers(t: Tensor): Float64Array {
  if (t.values instanceof Float64Array) return t.values;
  return Float64Array.from(t.values, (v) => {
    const n = toNumber(v);
    if (Number.isNaN(n) && typeof v !== 'number' && !/^\s*[-+]?nan\s*$/i.test(String(v))) {
      throw new Error(`could not convert ${typeof v === 'string' ? 'string' : 'value'} to float: ${JSON.stringify(v)}`);
    }
    return n;
  });
}

/**
 * Reads a tfjs tensor back. Synchronously: both backends compute on the calling thread
 * anyway, and the async read costs more than the copy. int64 results of tfjs-node arrive
 * as BigInt64Array; strings are bytes.
 */
export function fromTf(t: tf.Tensor): Tensor {
  const data = t.dataSync();
  const shape = [...t.shape];
  if (t.dtype === 'string') return { dtype: 'bytes', shape, values: Array.from(data as unknown as Uint8Array[]) };
  const values = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = Number(data[i]);
  const dtype: DType = data instanceof BigInt64Array ? 'int64' : t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool' ? t.dtype : 'float32';
  return { dtype, shape, values };
}

