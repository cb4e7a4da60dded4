/** Estimator results as the numpy arrays sklearn returns (flowgate Tensors). */
import type { DType as TensorDType, NumericDType, Tensor } from '../../src/model/data.js';
import { NDArray, NumpyScalar, type DType, type PyValue } from '../../src/pickle/index.js';
import { argmax } from './numeric.js';

/** The flowgate dtype of a numpy dtype: str arrays are 'string', object arrays 'object'. */
export function tensorDType(dtype: DType): TensorDType {
  switch (dtype.kind) {
    case 'U': return 'string';
    case 'S': return 'bytes';
    case 'O': return 'object';
    case 'V': return 'object';
    default: return dtype.name as NumericDType;
  }
}

/** A plain JS value for one element of an object array (numpy scalars unwrapped). */
function plain(v: PyValue): unknown {
  return v instanceof NumpyScalar ? v.value : v;
}

/** `classes.take(indices)`: labels keep the dtype of classes_ (int64, str, object...). */
export function takeLabels(classes: NDArray, indices: ArrayLike<number>, shape: number[] = [indices.length]): Tensor {
  const dtype = tensorDType(classes.dtype);
  if (classes.data instanceof Float64Array) {
    const src = classes.data;
    const out = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = src[indices[i]!]!;
    return { dtype, shape, values: out };
  }
  const src = classes.items();
  const out = new Array<unknown>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = plain(src[indices[i]!]!);
  return { dtype, shape, values: out };
}

export function float64Tensor(values: Float64Array, shape: number[]): Tensor {
  return { dtype: 'float64', shape, values };
}

/** `classes.take(argmax(scores, axis=1))`: each row's first highest score as its label. */
export function argmaxLabels(classes: NDArray, scores: Float64Array, rows: number): Tensor {
  const k = classes.size;
  const idx = new Int32Array(rows);
  for (let i = 0; i < rows; i++) idx[i] = argmax(scores, i * k, k);
  return takeLabels(classes, idx);
}
