/**
 * The binary tensor data extension of the Open Inference Protocol (as Triton and KServe
 * clients send it): tensor elements as raw little-endian bytes after the JSON header,
 * row-major, BOOL one byte each, BYTES a 4-byte length before each element.
 */
import type { Values } from '../model/data.js';
import { float16Bits, float16Value } from '../model/float16.js';
import type { V2Datatype } from './v2-datatypes.js';

/** Bytes per element of a fixed-size datatype; null for BYTES. */
export function elementSize(datatype: V2Datatype): number | null {
  switch (datatype) {
    case 'BOOL': case 'UINT8': case 'INT8': return 1;
    case 'UINT16': case 'INT16': case 'FP16': return 2;
    case 'UINT32': case 'INT32': case 'FP32': return 4;
    case 'UINT64': case 'INT64': case 'FP64': return 8;
    case 'BYTES': return null;
  }
}

export class BinaryTensorError extends Error {}

/** The elements of a fixed-size datatype, as numbers (BOOL as 0/1). 64-bit integers must be exact. */
export function readBinaryElements(datatype: V2Datatype, bytes: Buffer, count: number): Float64Array | unknown[] {
  if (datatype === 'BYTES') return readBytesElements(bytes, count);
  const size = elementSize(datatype)!;
  if (bytes.length !== count * size) {
    throw new BinaryTensorError(`${count} ${datatype} elements take ${count * size} bytes, but binary_data_size is ${bytes.length}`);
  }
  const out = new Float64Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (datatype) {
      case 'BOOL': out[i] = view.getUint8(at) === 0 ? 0 : 1; break;
      case 'UINT8': out[i] = view.getUint8(at); break;
      case 'INT8': out[i] = view.getInt8(at); break;
      case 'UINT16': out[i] = view.getUint16(at, true); break;
      case 'INT16': out[i] = view.getInt16(at, true); break;
      case 'FP16': out[i] = float16Value(view.getUint16(at, true)); break;
      case 'UINT32': out[i] = view.getUint32(at, true); break;
      case 'INT32': out[i] = view.getInt32(at, true); break;
      case 'FP32': out[i] = view.getFloat32(at, true); break;
      case 'FP64': out[i] = view.getFloat64(at, true); break;
      case 'UINT64': case 'INT64': {
        const v = datatype === 'INT64' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new BinaryTensorError(`${datatype} element ${i} (${v}) is beyond 2^53, which flowgate cannot hold exactly`);
        }
        out[i] = Number(v);
        break;
      }
    }
  }
  return out;
}

function readBytesElements(bytes: Buffer, count: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new BinaryTensorError(`BYTES element ${out.length} has a truncated length prefix`);
    const n = bytes.readUInt32LE(at);
    at += 4;
    if (at + n > bytes.length) throw new BinaryTensorError(`BYTES element ${out.length} needs ${n} bytes, but only ${bytes.length - at} remain`);
    out.push(bytes.toString('utf8', at, at + n));
    at += n;
  }
  if (out.length !== count) throw new BinaryTensorError(`the binary data holds ${out.length} BYTES elements, but the shape holds ${count}`);
  return out;
}

/** The binary form of a tensor's elements in `datatype`. */
export function writeBinaryElements(datatype: V2Datatype, values: Values): Buffer {
  const count = values.length;
  if (datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const v = values[i];
      const bytes = v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v ?? null), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, bytes);
    }
    return Buffer.concat(parts);
  }
  const size = elementSize(datatype)!;
  const out = Buffer.alloc(count * size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < count; i++) {
    const x = Number(values[i]);
    const at = i * size;
    switch (datatype) {
      case 'BOOL': view.setUint8(at, x ? 1 : 0); break;
      case 'UINT8': view.setUint8(at, x); break;
      case 'INT8': view.setInt8(at, x); break;
      case 'UINT16': view.setUint16(at, x, true); break;
      case 'INT16': view.setInt16(at, x, true); break;
      case 'FP16': view.setUint16(at, float16Bits(x), true); break;
      case 'UINT32': view.setUint32(at, x, true); break;
      case 'INT32': view.setInt32(at, x, true); break;
      case 'FP32': view.setFloat32(at, x, true); break;
      case 'FP64': view.setFloat64(at, x, true); break;
      case 'INT64': view.setBigInt64(at, BigInt(Math.trunc(x)), true); break;
      case 'UINT64': view.setBigUint64(at, BigInt(Math.trunc(x)), true); break;
    }
  }
  return out;
}
