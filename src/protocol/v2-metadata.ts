/**
 * V2 model metadata from an MLflow signature: each input/output spec becomes
 * `{name, datatype, shape}` (-1 = variable). A column is a tensor of shape [-1]; unnamed
 * columns and tensors are named by position ("0", "1"...), the names a V2 request uses.
 */
import type { Schema } from '../model/signature.js';
import { v2OfColumnType, v2OfNumpy, type V2Datatype } from './v2-datatypes.js';
import { DEFAULT_OUTPUT_NAME } from './v2-response.js';

export interface V2TensorMetadata {
  name: string;
  datatype: V2Datatype;
  shape: number[];
}

export interface V2ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: V2TensorMetadata[];
  outputs: V2TensorMetadata[];
}

export function schemaMetadata(schema: Schema | null, unnamedSingle: string | null = null): V2TensorMetadata[] {
  if (schema === null) return [];
  const specs = schema.kind === 'columns' ? schema.columns : schema.tensors;
  const nameOf = (specName: string | null, i: number): string => specName ?? (specs.length === 1 && unnamedSingle !== null ? unnamedSingle : String(i));
  if (schema.kind === 'columns') {
    return schema.columns.map((c, i) => ({ name: nameOf(c.name, i), datatype: v2OfColumnType(c.type), shape: [-1] }));
  }
  return schema.tensors.map((t, i) => ({ name: nameOf(t.name, i), datatype: v2OfNumpy(t.dtype), shape: t.shape }));
}

export function modelMetadata(
  name: string,
  versions: string[],
  flavor: string,
  signature: { inputs: Schema | null; outputs: Schema | null } | null,
): V2ModelMetadata {
  return {
    name,
    versions,
    platform: `mlflow_${flavor}`,
    inputs: schemaMetadata(signature?.inputs ?? null),
    // an unnamed single output is answered as DEFAULT_OUTPUT_NAME: the metadata says so
    outputs: schemaMetadata(signature?.outputs ?? null, DEFAULT_OUTPUT_NAME),
  };
}
