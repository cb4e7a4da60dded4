/**
 * Open Inference Protocol (V2) infer requests (JSON form): typed tensors with a shape and
 * row-major data, checked element by element, then shaped into the model input the MLflow
 * signature asks for (columns for a column signature, named tensors for a tensor one).
 */
import { MlflowError } from '../errors.js';
import { elementCount, frame, type Column, type ModelInput, type Tensor } from '../model/data.js';
import type { Schema } from '../model/signature.js';
import { parseJsonLenient } from './lenient-json.js';
import { roundFloat16 } from '../model/float16.js';
import { BinaryTensorError, readBinaryElements } from './v2-binary.js';
import { dtypeOfV2, integerRange, isV2Datatype, V2_DATATYPES, type V2Datatype } from './v2-datatypes.js';

export interface V2Input {
  name: string;
  datatype: V2Datatype;
  tensor: Tensor;
}

export interface V2InferRequest {
  id: string | null;
  inputs: V2Input[];
  /** the outputs asked for, by name; null for all of them */
  outputs: string[] | null;
  /** request parameters; passed to the model as MLflow params */
  parameters: Record<string, unknown> | null;
  /** whether an output goes back as binary data (binary tensor extension) */
  binaryOutput: (name: string) => boolean;
}

const bad = (message: string): MlflowError => new MlflowError('BAD_REQUEST', message);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Inference-Header-Content-Length as a byte count: NaN when it is not a whole number. */
export function jsonHeaderLength(headerLength: string): number {
  return /^\s*\d+\s*$/.test(headerLength) ? Number(headerLength) : NaN;
}

/**
 * An infer request body: JSON text, or (binary tensor extension) bytes: a JSON header of
 * `headerLength` bytes followed by the bytes of the inputs that give a binary_data_size.
 * `maxElements` bounds the binary inputs' elements (the JSON's are bounded before parsing).
 */
export function decodeV2InferBody(body: string | Buffer, headerLength?: string, maxElements = Infinity): { doc: unknown; request: V2InferRequest } {
  let json = body;
  let binary: Buffer | null = null;
  if (typeof body !== 'string' && headerLength !== undefined) {
    const n = jsonHeaderLength(headerLength);
    if (!(n <= body.length)) {
      throw bad(`Inference-Header-Content-Length must be the byte length of the JSON header (at most the body's ${body.length} bytes); got '${headerLength}'.`);
    }
    json = body.subarray(0, n);
    binary = body.subarray(n);
  }
  let doc: unknown;
  try {
    doc = parseJsonLenient(typeof json === 'string' ? json : json.toString('utf8'));
  } catch (err) {
    throw bad(`The ${binary === null ? 'body' : 'JSON header'} is not valid JSON: ${(err as Error).message}`);
  }
  return { doc, request: parseV2InferRequest(doc, binary, maxElements) };
}

export function parseV2InferRequest(doc: unknown, binary: Buffer | null = null, maxElements = Infinity): V2InferRequest {
  if (!isObject(doc)) throw bad('The infer request must be a JSON object with "inputs".');
  const { id, inputs, outputs, parameters } = doc;
  if (id !== undefined && typeof id !== 'string') throw bad('"id" must be a string.');
  if (parameters !== undefined && !isObject(parameters)) throw bad('"parameters" must be an object.');
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad('"inputs" must be a non-empty list of tensors.');
  const seen = new Set<string>();
  const cursor = { at: 0, elements: 0, maxElements };
  const parsedInputs = inputs.map((input, i) => {
    const parsed = parseInput(input, i, binary, cursor);
    if (seen.has(parsed.name)) throw bad(`Input '${parsed.name}' is given more than once.`);
    seen.add(parsed.name);
    return parsed;
  });
  if (binary !== null && cursor.at !== binary.length) {
    throw bad(`The inputs' binary_data_size add up to ${cursor.at} bytes, but ${binary.length} bytes follow the JSON header.`);
  }
  const binaryDefault = binaryFlag(parameters?.binary_data_output, '"parameters.binary_data_output"') ?? false;
  const binaryByName = new Map<string, boolean>();
  let names: string[] | null = null;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw bad('"outputs" must be a list of {"name": ...} objects.');
    names = outputs.map((o, i) => {
      if (!isObject(o) || typeof o.name !== 'string') throw bad(`outputs[${i}] must be an object with a string "name".`);
      const flag = isObject(o.parameters) ? binaryFlag(o.parameters.binary_data, `outputs[${i}].parameters.binary_data`) : null;
      if (flag !== null) binaryByName.set(o.name, flag);
      return o.name;
    });
  }
  return {
    id: id ?? null,
    inputs: parsedInputs,
    outputs: names,
    parameters: (parameters as Record<string, unknown> | undefined) ?? null,
    binaryOutput: (name) => binaryByName.get(name) ?? binaryDefault,
  };
}

function binaryFlag(v: unknown, where: string): boolean | null {
  if (v === undefined) return null;
  if (typeof v !== 'boolean') throw bad(`${where} must be true or false.`);
  return v;
}

function parseInput(input: unknown, i: number, binary: Buffer | null, cursor: { at: number; elements: number; maxElements: number }): V2Input {
  if (!isObject(input)) throw bad(`inputs[${i}] must be an object with "name", "datatype", "shape" and "data".`);
  const { name, datatype, shape, data } = input;
  if (typeof name !== 'string' || name === '') throw bad(`inputs[${i}] needs a "name".`);
  const where = `Input '${name}'`;
  if (!isV2Datatype(datatype)) throw bad(`${where}: "datatype" must be one of ${V2_DATATYPES.join(', ')}; got ${JSON.stringify(datatype)}.`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw bad(`${where}: "shape" must be a list of non-negative integers; got ${JSON.stringify(shape)}.`);
  }
  const dims = shape as number[];
  const count = elementCount(dims);
  const size = isObject(input.parameters) ? input.parameters.binary_data_size : undefined;
  if (size !== undefined) {
    if (!Number.isInteger(size) || (size as number) < 0) throw bad(`${where}: "binary_data_size" must be a non-negative integer; got ${JSON.stringify(size)}.`);
    if (binary === null) throw bad(`${where} gives a binary_data_size, but the request has no Inference-Header-Content-Length header saying where its binary data starts.`);
    if (data !== undefined) throw bad(`${where}: give either "data" or a binary_data_size, not both.`);
    const end = cursor.at + (size as number);
    if (end > binary.length) throw bad(`${where}: binary_data_size ${size as number} runs past the end of the body (${binary.length - cursor.at} bytes left).`);
    cursor.elements += count;
    if (cursor.elements > cursor.maxElements) throw bad(`The request has more than the limit of ${cursor.maxElements} values.`);
    let values: Float64Array | unknown[];
    try {
      values = readBinaryElements(datatype, binary.subarray(cursor.at, end), count);
    } catch (err) {
      if (err instanceof BinaryTensorError) throw bad(`${where}: ${err.message}.`);
      throw err;
    }
    cursor.at = end;
    return { name, datatype, tensor: { dtype: dtypeOfV2(datatype), shape: dims, values } };
  }
  if (data === undefined) throw bad(`${where}: "data" is required.`);
  // BYTES elements may themselves be lists (array/object columns): a flat list of the right length is taken as is.
  const flat = datatype === 'BYTES' && Array.isArray(data) && data.length === count ? data : flatten(data);
  if (flat.length !== count) {
    throw bad(`${where}: shape [${dims.join(', ')}] holds ${count} elements, but "data" has ${flat.length}.`);
  }
  return { name, datatype, tensor: { dtype: datatype === 'BYTES' ? bytesDType(flat) : dtypeOfV2(datatype), shape: dims, values: convert(flat, datatype, where) } };
}

/** Row-major elements of nested lists (a scalar is one element); iterative, so any depth is safe. */
function flatten(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  // a stack of (list, next index) frames
  const lists: unknown[][] = [data];
  const next: number[] = [0];
  while (lists.length > 0) {
    const top = lists.length - 1;
    const list = lists[top]!;
    const i = next[top]!;
    if (i === list.length) {
      lists.pop();
      next.pop();
      continue;
    }
    next[top] = i + 1;
    const v = list[i];
    if (Array.isArray(v)) {
      lists.push(v);
      next.push(0);
    } else {
      out.push(v);
    }
  }
  return out;
}

function bytesDType(values: unknown[]): 'string' | 'object' {
  return values.every((v) => typeof v === 'string') ? 'string' : 'object';
}

function convert(flat: unknown[], datatype: V2Datatype, where: string): Float64Array | unknown[] {
  if (datatype === 'BYTES') return flat;
  const out = new Float64Array(flat.length);
  const range = integerRange(datatype);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (datatype === 'BOOL') {
      if (typeof v !== 'boolean') throw elementError(where, datatype, i, v, 'true or false');
      out[i] = v ? 1 : 0;
    } else if (v === null && range === null) {
      out[i] = NaN; // a missing float: JSON has no NaN (Python clients send a bare NaN, which is read too)
    } else if (typeof v !== 'number') {
      throw elementError(where, datatype, i, v, range === null ? 'a number or null' : 'a number');
    } else if (range !== null) {
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) throw elementError(where, datatype, i, v, `an integer in [${range[0]}, ${range[1]}]`);
      out[i] = v;
    } else {
      out[i] = datatype === 'FP32' ? Math.fround(v) : datatype === 'FP16' ? roundFloat16(v) : v;
    }
  }
  return out;
}

function elementError(where: string, datatype: V2Datatype, i: number, v: unknown, expected: string): MlflowError {
  return bad(`${where}: ${datatype} element ${i} must be ${expected}; got ${JSON.stringify(v)}.`);
}

/**
 * The model input for the signature's schema: one column per input for a column schema
 * (inputs of shape [n] or [n, 1]), a single tensor for an unnamed tensor schema or a lone
 * input without a schema, and named tensors otherwise. What does not fit is left to schema
 * enforcement, which says precisely what is missing or wrongly shaped.
 */
export function v2ModelInput(inputs: V2Input[], schema: Schema | null): ModelInput {
  if (schema?.kind === 'columns' && inputs.every((x) => isColumnShaped(x.tensor.shape))) {
    const rows = inputs[0]!.tensor.shape[0]!;
    const odd = inputs.find((x) => x.tensor.shape[0] !== rows);
    if (odd !== undefined) throw bad(`All inputs of a column signature need the same number of rows: '${inputs[0]!.name}' has ${rows}, '${odd.name}' has ${odd.tensor.shape[0]}.`);
    const columns: Column[] = inputs.map((x) => ({ dtype: x.tensor.dtype, values: x.tensor.values }));
    return frame(inputs.map((x) => x.name), columns);
  }
  if (schema?.kind === 'tensors' && inputs.some((x) => isListColumn(x.tensor)) && inputs.every((x) => x.tensor.shape.length === 1 && x.tensor.shape[0] === inputs[0]!.tensor.shape[0])) {
    // BYTES inputs holding a list per row are DataFrame columns of lists: enforcement stacks them, as for /invocations
    return frame(inputs.map((x) => x.name), inputs.map((x) => ({ dtype: x.tensor.dtype, values: x.tensor.values })));
  }
  const unnamedTensor = schema?.kind === 'tensors' && schema.tensors[0]?.name === null;
  if (inputs.length === 1 && (schema === null || schema.kind === 'columns' || unnamedTensor)) return { kind: 'tensor', tensor: inputs[0]!.tensor };
  const tensors: Record<string, Tensor> = {};
  for (const x of inputs) tensors[x.name] = x.tensor;
  return { kind: 'tensors', tensors };
}

function isListColumn(t: Tensor): boolean {
  return !(t.values instanceof Float64Array) && t.values.some(Array.isArray);
}

function isColumnShaped(shape: readonly number[]): boolean {
  return shape.length === 1 || (shape.length === 2 && shape[1] === 1);
}
