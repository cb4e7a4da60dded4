/**
 * Conversions between flowgate tensors (Float64Array or plain arrays + dtype) and
 * onnxruntime tensors of the model's declared element type.
 */
import * as ort from 'onnxruntime-node';
import { castValue } from '../../src/model/cast.js';
import type { DType, Tensor } from '../../src/model/data.js';
import { float16Bits, float16Value } from '../../src/model/float16.js';

const DTYPE_OF_ORT: Partial<Record<ort.Tensor.Type, DType>> = {
  float32: 'float32', float64: 'float64', float16: 'float16',
  int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64',
  bool: 'bool', string: 'string',
};

const ORT_OF_DTYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32', float64: 'float64', float16: 'float16', int8: 'int8', int16: 'int16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool', string: 'string', object: 'string',
};

/** Builds the feed in the model's element type (or the data's own when the model does not say). */
export function toOrtTensor(t: Tensor, target: ort.Tensor.Type | null): ort.Tensor {
  const type = target ?? ORT_OF_DTYPE[t.dtype] ?? 'float32';
  const src = t.values;
  const n = src.length;
  // Cells of a str/object array convert as numpy's astype does (raising for text that is no number).
  const num = (i: number): number => (src instanceof Float64Array ? src[i]! : (castValue(src[i], 'float64') as number));
  const whole = (i: number): number => (src instanceof Float64Array ? src[i]! : (castValue(src[i], 'int64') as number));
  switch (type) {
    case 'float32': return new ort.Tensor('float32', src instanceof Float64Array ? Float32Array.from(src) : Float32Array.from({ length: n }, (_, i) => num(i)), t.shape);
    // float16 elements travel as their 16-bit patterns
    case 'float16': return new ort.Tensor('float16', Uint16Array.from({ length: n }, (_, i) => float16Bits(num(i))), t.shape);
    case 'float64': return new ort.Tensor('float64', src instanceof Float64Array ? src : Float64Array.from({ length: n }, (_, i) => num(i)), t.shape);
    case 'int64': case 'uint64': {
      const out = type === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(whole(i)));
      return new ort.Tensor(type, out, t.shape);
    }
    case 'int32': return new ort.Tensor(type, Int32Array.from({ length: n }, (_, i) => whole(i)), t.shape);
    case 'int16': return new ort.Tensor(type, Int16Array.from({ length: n }, (_, i) => whole(i)), t.shape);
    case 'int8': return new ort.Tensor(type, Int8Array.from({ length: n }, (_, i) => whole(i)), t.shape);
    case 'uint32': return new ort.Tensor(type, Uint32Array.from({ length: n }, (_, i) => whole(i)), t.shape);
    case 'uint16': return new ort.Tensor(type, Uint16Array.from({ length: n }, (_, i) => whole(i)), t.shape);
    case 'uint8': return new ort.Tensor(type, Uint8Array.from({ length: n }, (_, i) => whole(i)), t.shape);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from({ length: n }, (_, i) => (num(i) ? 1 : 0)), t.shape);
    case 'string': return new ort.Tensor('string', Array.from(src as ArrayLike<unknown>, (v) => String(v)), t.shape);
    default: throw new Error(`onnx input element type ${type} is not supported`);
  }
}

export function fromOrtTensor(t: ort.Tensor): Tensor {
  const dtype = DTYPE_OF_ORT[t.type];
  if (dtype === undefined) throw new Error(`onnx output element type ${t.type} is not supported`);
  const shape = t.dims.map(Number);
  if (dtype === 'string') return { dtype, shape, values: Array.from(t.data as string[]) };
  const data = t.data as ArrayLike<number | bigint>;
  const values = new Float64Array(data.length);
  if (dtype === 'float16' && data instanceof Uint16Array) for (let i = 0; i < data.length; i++) values[i] = float16Value(data[i]!);
  else for (let i = 0; i < data.length; i++) values[i] = Number(data[i]);
  return { dtype, shape, values };
}
