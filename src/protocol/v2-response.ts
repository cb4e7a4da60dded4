/**
 * Open Inference Protocol (V2) infer responses: each model output as a typed tensor, named
 * after the model's outputs (a dict's keys, a DataFrame's columns, the signature's output
 * name), with row-major `data`. Numbers are written as the MLflow protocol writes them, so
 * the same model answers the same values on /invocations and on /v2.
 */
import { MlflowError } from '../errors.js';
import { isFloatDType, type DType, type ModelOutput, type Tensor, type Values } from '../model/data.js';
import { CastError } from '../model/cast.js';
import { tensorFromNested } from '../model/infer.js';
import type { Schema } from '../model/signature.js';
import { formatFloat, formatJsonValue } from './json-output.js';
import { writeBinaryElements } from './v2-binary.js';
import { v2OfDType } from './v2-datatypes.js';

/** MLServer's name for an output the model does not name. */
export const DEFAULT_OUTPUT_NAME = 'output-1';

export interface V2Output {
  name: string;
  tensor: Tensor;
}

export function v2Outputs(output: ModelOutput, outputSchema: Schema | null): V2Output[] {
  switch (output.kind) {
    case 'tensors':
      return Object.entries(output.tensors).map(([name, tensor]) => ({ name, tensor }));
    case 'tensor':
      return [{ name: singleOutputName(outputSchema) ?? DEFAULT_OUTPUT_NAME, tensor: output.tensor }];
    case 'frame':
      return output.names.map((name, j) => ({ name, tensor: { dtype: output.columns[j]!.dtype, shape: [output.rows], values: output.columns[j]!.values } }));
    case 'series':
      return [{ name: singleOutputName(outputSchema) ?? output.name, tensor: { dtype: output.column.dtype, shape: [output.column.values.length], values: output.column.values } }];
    case 'json': {
      const value = output.value;
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
        return Object.entries(value as Record<string, unknown>).map(([name, v]) => ({ name, tensor: jsonTensor(v) }));
      }
      return [{ name: singleOutputName(outputSchema) ?? DEFAULT_OUTPUT_NAME, tensor: jsonTensor(value) }];
    }
  }
}

function singleOutputName(schema: Schema | null): string | null {
  if (schema === null) return null;
  const specs = schema.kind === 'columns' ? schema.columns : schema.tensors;
  return specs.length === 1 ? specs[0]!.name : null;
}

/** A JSON value as a tensor: rectangular lists keep their shape; anything else is one BYTES element. */
function jsonTensor(value: unknown): Tensor {
  try {
    return tensorFromNested(value);
  } catch (err) {
    if (!(err instanceof CastError)) throw err;
    return { dtype: 'object', shape: [1], values: [value] };
  }
}

/** Keeps the outputs asked for, in the order asked; an unknown name is the client's error. */
export function selectOutputs(outputs: V2Output[], names: string[] | null): V2Output[] {
  if (names === null) return outputs;
  return names.map((name) => {
    const found = outputs.find((o) => o.name === name);
    if (found === undefined) {
      throw new MlflowError('BAD_REQUEST', `The model has no output '${name}' (outputs: ${outputs.map((o) => o.name).join(', ')}).`);
    }
    return found;
  });
}

export interface V2ResponseHead {
  modelName: string;
  modelVersion: string | null;
  id: string | null;
}

export interface V2EncodedResponse {
  body: string | Buffer;
  /** the JSON header's byte length when binary tensor data follows it (Inference-Header-Content-Length) */
  headerLength: number | null;
}

/**
 * The response body: JSON written directly as text, and outputs for which `binary` says so
 * as raw bytes after the JSON (binary tensor extension), in the order of the outputs.
 */
export function encodeV2Response(head: V2ResponseHead, outputs: V2Output[], binary: (name: string) => boolean): V2EncodedResponse {
  let out = `{"model_name":${JSON.stringify(head.modelName)}`;
  if (head.modelVersion !== null) out += `,"model_version":${JSON.stringify(head.modelVersion)}`;
  if (head.id !== null) out += `,"id":${JSON.stringify(head.id)}`;
  out += ',"outputs":[';
  const chunks: Buffer[] = [];
  outputs.forEach((o, i) => {
    const t = o.tensor;
    const datatype = v2OfDType(t.dtype);
    if (i > 0) out += ',';
    out += `{"name":${JSON.stringify(o.name)},"datatype":"${datatype}","shape":[${t.shape.join(',')}],`;
    if (binary(o.name)) {
      const bytes = writeBinaryElements(datatype, t.values);
      chunks.push(bytes);
      out += `"parameters":{"binary_data_size":${bytes.length}}}`;
    } else {
      out += `"data":${writeData(t.dtype, t.values)}}`;
    }
  });
  out += ']}';
  if (chunks.length === 0) return { body: out, headerLength: null };
  const header = Buffer.from(out, 'utf8');
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}

function writeData(dtype: DType, values: Values): string {
  const parts: string[] = new Array(values.length);
  if (values instanceof Float64Array) {
    const float = isFloatDType(dtype);
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      parts[i] = dtype === 'bool' ? (x ? 'true' : 'false') : float || !Number.isFinite(x) ? formatFloat(x) : String(x);
    }
  } else {
    for (let i = 0; i < values.length; i++) parts[i] = bytesElement(values[i]);
  }
  return `[${parts.join(',')}]`;
}

/** A BYTES element: text as a JSON string, raw bytes as base64, anything else as its JSON value. */
function bytesElement(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
  return formatJsonValue(v);
}
