/**
 * The wire between flowgate and its Python workers (flavors/python/worker.py): framed
 * messages over a pipe, each `u32 body length | u32 request id | u32 header length |
 * JSON header | buffers`, little-endian. Numeric arrays travel as raw float64 buffers
 * (flowgate's data model keeps every number in a Float64Array, so nothing is converted);
 * strings and other objects travel columnar, one JSON list per column.
 */
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';
import type { Column, DType, ModelInput, ModelOutput, Tensor, Values } from '../../src/model/data.js';

export interface Message {
  id: number;
  header: Record<string, unknown>;
  /** the buffer area after the header */
  buffers: Buffer;
}

/** An array on the wire: numeric as [offset, count] into the buffer area, anything else as values. */
interface EncodedArray {
  dtype: DType;
  shape?: number[];
  buf?: [number, number];
  values?: unknown[];
}

export function encodeMessage(id: number, header: object, buffers: readonly Uint8Array[] = []): Buffer {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  let size = 8 + headerBytes.length;
  for (const b of buffers) size += b.byteLength;
  const prefix = Buffer.allocUnsafe(12);
  prefix.writeUInt32LE(size, 0);
  prefix.writeUInt32LE(id, 4);
  prefix.writeUInt32LE(headerBytes.length, 8);
  return Buffer.concat([prefix, headerBytes, ...buffers]);
}

/** Cuts a byte stream into messages. */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Feeds a chunk; returns the messages it completed. */
  push(chunk: Buffer): Message[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Message[] = [];
    while (this.pendingBytes >= 4) {
      const head = this.peek(4);
      const size = head.readUInt32LE(0);
      if (this.pendingBytes < 4 + size) break;
      const body = this.take(4 + size).subarray(4);
      const headerLength = body.readUInt32LE(4);
      const header = parseJsonLenient(body.toString('utf8', 8, 8 + headerLength)) as Record<string, unknown>;
      out.push({ id: body.readUInt32LE(0), header, buffers: body.subarray(8 + headerLength) });
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!;
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }
}

// ---- input: flowgate's enforced input -> header + buffers

class BufferArea {
  readonly buffers: Uint8Array[] = [];
  private size = 0;

  array(dtype: DType, values: Values, shape?: number[]): EncodedArray {
    const base: EncodedArray = shape === undefined ? { dtype } : { dtype, shape };
    if (values instanceof Float64Array) {
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      const ref: [number, number] = [this.size, values.length];
      this.buffers.push(bytes);
      this.size += bytes.byteLength;
      return { ...base, buf: ref };
    }
    return { ...base, values: dtype === 'bytes' ? values.map(toBase64) : values.map(plainCell) };
  }
}

function toBase64(v: unknown): unknown {
  return v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
}

/** A cell as JSON carries it: binary as base64, dates as ISO text. */
function plainCell(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function encodeTensor(area: BufferArea, t: Tensor): EncodedArray {
  return area.array(t.dtype, t.values, [...t.shape]);
}

/** The predict request for one enforced input. */
export function encodePredict(id: number, input: ModelInput, params: Record<string, unknown> | null): Buffer {
  const area = new BufferArea();
  let encoded: object;
  switch (input.kind) {
    case 'frame':
      encoded = { kind: 'frame', names: input.names, rows: input.rows, columns: input.columns.map((c) => area.array(c.dtype, c.values)) };
      break;
    case 'tensor':
      encoded = { kind: 'tensor', tensor: encodeTensor(area, input.tensor) };
      break;
    case 'tensors':
      encoded = {
        kind: 'tensors',
        tensors: Object.fromEntries(Object.entries(input.tensors).map(([name, t]) => [name, encodeTensor(area, t)])),
      };
      break;
  }
  return encodeMessage(id, { op: 'predict', input: encoded, params }, area.buffers);
}

// ---- output: the worker's encoding -> flowgate's ModelOutput

function decodeValues(encoded: EncodedArray, buffers: Buffer): Values {
  if (encoded.buf === undefined) return encoded.values ?? [];
  const [offset, count] = encoded.buf;
  // Copied into an aligned Float64Array: pipe chunks have no alignment guarantee.
  const out = new Float64Array(count);
  new Uint8Array(out.buffer).set(buffers.subarray(offset, offset + count * 8));
  return out;
}

function decodeColumn(encoded: EncodedArray, buffers: Buffer): Column {
  return { dtype: encoded.dtype, values: decodeValues(encoded, buffers) };
}

function decodeTensor(encoded: EncodedArray, buffers: Buffer): Tensor {
  return { dtype: encoded.dtype, shape: encoded.shape ?? [], values: decodeValues(encoded, buffers) };
}

export function decodeOutput(encoded: Record<string, unknown>, buffers: Buffer): ModelOutput {
  switch (encoded.kind) {
    case 'frame': {
      const columns = (encoded.columns as EncodedArray[]).map((c) => decodeColumn(c, buffers));
      return { kind: 'frame', names: encoded.names as string[], columns, rows: encoded.rows as number };
    }
    case 'series':
      return { kind: 'series', name: encoded.name as string, column: decodeColumn(encoded.column as EncodedArray, buffers) };
    case 'tensor':
      return { kind: 'tensor', tensor: decodeTensor(encoded.tensor as EncodedArray, buffers) };
    case 'tensors': {
      const tensors: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(encoded.tensors as Record<string, EncodedArray>)) tensors[name] = decodeTensor(t, buffers);
      return { kind: 'tensors', tensors };
    }
    case 'json':
      return { kind: 'json', value: encoded.value };
    default:
      throw new Error(`the Python worker sent an output of unknown kind ${String(encoded.kind)}`);
  }
}
