/**
 * Open Inference Protocol (V2) tensor datatypes, and how they map to the data types the
 * model side uses (numpy dtypes) and to MLflow signature types.
 */
import type { DType } from '../model/data.js';
import { dtypeOfNumpy } from '../model/cast.js';
import type { DataType } from '../model/signature.js';

export type V2Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

const TO_DTYPE: Record<V2Datatype, DType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

export const V2_DATATYPES = Object.keys(TO_DTYPE) as V2Datatype[];

export function isV2Datatype(s: unknown): s is V2Datatype {
  return typeof s === 'string' && Object.hasOwn(TO_DTYPE, s);
}

export function dtypeOfV2(datatype: V2Datatype): DType {
  return TO_DTYPE[datatype];
}

/** The V2 datatype of data held as `dtype`; strings, bytes, dates and objects travel as BYTES. */
export function v2OfDType(dtype: DType): V2Datatype {
  switch (dtype) {
    case 'bool': return 'BOOL';
    case 'uint8': return 'UINT8';
    case 'uint16': return 'UINT16';
    case 'uint32': return 'UINT32';
    case 'uint64': return 'UINT64';
    case 'int8': return 'INT8';
    case 'int16': return 'INT16';
    case 'int32': return 'INT32';
    case 'int64': return 'INT64';
    case 'float16': return 'FP16';
    case 'float32': return 'FP32';
    case 'float64': return 'FP64';
    default: return 'BYTES';
  }
}

/** A TensorSpec's numpy dtype name as a V2 datatype. */
export function v2OfNumpy(name: string): V2Datatype {
  return v2OfDType(dtypeOfNumpy(name));
}

/** A column's MLflow type as a V2 datatype (arrays, objects and maps travel as BYTES). */
export function v2OfColumnType(type: DataType): V2Datatype {
  if (type.kind !== 'scalar') return 'BYTES';
  switch (type.type) {
    case 'boolean': return 'BOOL';
    case 'integer': return 'INT32';
    case 'long': return 'INT64';
    case 'float': return 'FP32';
    case 'double': return 'FP64';
    default: return 'BYTES';
  }
}

/** The smallest and largest value of an integer datatype (exact for the 64-bit ones up to 2^53). */
export function integerRange(datatype: V2Datatype): [number, number] | null {
  switch (datatype) {
    case 'UINT8': return [0, 255];
    case 'UINT16': return [0, 65535];
    case 'UINT32': return [0, 4294967295];
    case 'UINT64': return [0, Number.MAX_SAFE_INTEGER];
    case 'INT8': return [-128, 127];
    case 'INT16': return [-32768, 32767];
    case 'INT32': return [-2147483648, 2147483647];
    case 'INT64': return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    default: return null;
  }
}
