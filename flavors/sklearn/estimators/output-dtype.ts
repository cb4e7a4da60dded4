/**
 * A transformer's `dtype` parameter (np.float64, float, np.int32, np.dtype('float32'), 'float64'...)
 * as the flowgate dtype of its output columns.
 */
import type { DType as TensorDType } from '../../../src/model/data.js';
import { DType, PyGlobal, type PyValue } from '../../../src/pickle/index.js';

const NAMES: Record<string, TensorDType> = {
  float: 'float64', float64: 'float64', double: 'float64', float_: 'float64', float32: 'float32', single: 'float32',
  int: 'int64', int64: 'int64', int_: 'int64', intp: 'int64', longlong: 'int64', int32: 'int32', intc: 'int32',
  int16: 'int16', int8: 'int8', uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool', bool_: 'bool',
};

export function outputDType(v: PyValue | undefined, who: string): TensorDType {
  let name: string | undefined;
  if (v === undefined || v === null) name = 'float64';
  else if (v instanceof PyGlobal && (v.module === 'numpy' || v.module === 'builtins')) name = v.name;
  else if (v instanceof DType) name = v.name;
  else if (typeof v === 'string') name = v;
  const dtype = name === undefined ? undefined : NAMES[name];
  if (dtype === undefined) throw new TypeError(`${who} with dtype=${name ?? 'an unknown type'} is not supported (numeric dtypes only)`);
  return dtype;
}
