/**
 * numpy's pickle formats, rebuilt as data: dtypes (`numpy.dtype` + its BUILD state), arrays
 * (`_reconstruct` + `ndarray.__setstate__`, and protocol 5's `_frombuffer`) and scalars.
 * Byte order, Fortran order, structured and sub-array dtypes are decoded here so that every
 * consumer sees one shape of data (see types.ts).
 */
import { float16Value } from '../model/float16.js';
import { PickleError } from './errors.js';
import { DType, NDArray, NumpyScalar, PyDict, PyTuple, type DTypeField, type DTypeKind, type NDArrayData, type PyValue } from './types.js';

const UNSUPPORTED_KINDS: Record<string, string> = { c: 'complex', M: 'datetime64', m: 'timedelta64', T: 'StringDType' };

/** `numpy.dtype(typestr, align, copy)` as pickled: typestr is a kind char + size ('f8', 'U5', 'V64', 'O8'). */
export function dtypeFromTypestr(typestr: PyValue): DType {
  if (typeof typestr !== 'string') throw new PickleError('numpy.dtype expects a type string');
  const m = /^([biufcUSOVMmT?])(\d*)$/.exec(typestr);
  if (!m) throw new PickleError(`numpy dtype '${typestr}' is not supported`);
  const kindChar = m[1] === '?' ? 'b' : m[1]!;
  if (kindChar in UNSUPPORTED_KINDS) throw new PickleError(`numpy dtype ${UNSUPPORTED_KINDS[kindChar]} ('${typestr}') is not supported`);
  const kind = kindChar as DTypeKind;
  const n = m[2] === '' ? defaultSize(kind) : Number(m[2]);
  const itemsize = kind === 'U' ? 4 * n : n;
  if (kind === 'b' && itemsize !== 1) throw new PickleError(`numpy dtype '${typestr}' is not supported`);
  if ((kind === 'i' || kind === 'u') && ![1, 2, 4, 8].includes(itemsize)) throw new PickleError(`numpy dtype '${typestr}' is not supported`);
  if (kind === 'f' && ![2, 4, 8].includes(itemsize)) throw new PickleError(`numpy dtype '${typestr}' is not supported (only float16/32/64)`);
  return new DType(kind, itemsize, itemsize <= 1 || kind === 'O' || kind === 'S' || kind === 'V' ? '|' : '<');
}

function defaultSize(kind: DTypeKind): number {
  return kind === 'O' ? 8 : kind === 'b' ? 1 : 0;
}

/** `dtype.__setstate__`: (version, endian, subarray, names, fields, elsize, alignment, flags[, metadata]). */
export function setDTypeState(dtype: DType, state: PyValue): void {
  if (!(state instanceof PyTuple) || state.length < 8) throw new PickleError('numpy dtype state is not the expected tuple');
  const [, endian, subarray, names, fields, elsize] = state.items;
  if (endian === '<' || endian === '>' || endian === '|') dtype.byteOrder = endian;
  else if (endian === '=') dtype.byteOrder = '<';
  if (subarray instanceof PyTuple) {
    const [base, shape] = subarray.items;
    if (!(base instanceof DType)) throw new PickleError('numpy sub-array dtype has no base dtype');
    dtype.subarray = { base, shape: shapeOf(shape) };
  }
  if (names instanceof PyTuple && fields instanceof PyDict) {
    const list: DTypeField[] = [];
    for (const name of names.items) {
      const spec = fields.get(name);
      if (typeof name !== 'string' || !(spec instanceof PyTuple) || !(spec.items[0] instanceof DType) || typeof spec.items[1] !== 'number') {
        throw new PickleError('numpy structured dtype has a malformed field');
      }
      list.push({ name, dtype: spec.items[0], offset: spec.items[1] });
    }
    dtype.fields = list;
  }
  if (typeof elsize === 'number' && elsize >= 0 && (dtype.kind === 'V' || dtype.kind === 'U' || dtype.kind === 'S')) {
    dtype.itemsize = elsize;
  }
}

export function shapeOf(value: PyValue | undefined): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : typeof value === 'number' ? [value] : null;
  if (items === null) throw new PickleError('numpy array shape is not a tuple');
  return items.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new PickleError('numpy array shape has an invalid dimension');
    return d;
  });
}

function countOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw new PickleError('numpy array is too large');
  }
  return n;
}

/** The empty array `_reconstruct(ndarray, (0,), b'b')` makes; BUILD fills it in place. */
export function emptyArray(): NDArray {
  return new NDArray(new DType('u', 1, '|'), [0], new Float64Array(0));
}

/**
 * `ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))` (the version is absent in old
 * pickles). rawdata is the element bytes (a latin-1 str in Python 2 era pickles) or, for object
 * arrays, a list of the elements in C order.
 */
export function setArrayState(array: NDArray, state: PyValue): void {
  if (!(state instanceof PyTuple) || (state.length !== 5 && state.length !== 4)) {
    throw new PickleError('numpy array state is not the expected tuple');
  }
  const [shapeValue, dtype, isFortran, rawdata] = state.length === 5 ? state.items.slice(1) : state.items;
  if (!(dtype instanceof DType)) throw new PickleError('numpy array state has no dtype');
  const shape = shapeOf(shapeValue);
  const count = countOf(shape);
  let data: NDArrayData;
  if (dtype.kind === 'O') {
    if (!Array.isArray(rawdata) || rawdata.length !== count) throw new PickleError('numpy object array data does not match its shape');
    data = rawdata;
  } else {
    const bytes = typeof rawdata === 'string' ? latin1Bytes(rawdata) : rawdata;
    if (!(bytes instanceof Uint8Array)) throw new PickleError('numpy array data is not bytes');
    data = decodeArray(dtype, shape, bytes, isFortran === true);
  }
  array.dtype = dtype;
  array.shape = shape;
  array.data = data;
}

/** numpy's `_frombuffer(buffer, dtype, shape, order)` (protocol 5 arrays). */
export function arrayFromBuffer(buffer: PyValue, dtype: PyValue, shapeValue: PyValue, order: PyValue): NDArray {
  if (!(buffer instanceof Uint8Array)) throw new PickleError('numpy _frombuffer expects a buffer');
  if (!(dtype instanceof DType)) throw new PickleError('numpy _frombuffer expects a dtype');
  if (dtype.kind === 'O') throw new PickleError('numpy _frombuffer cannot hold objects');
  const shape = shapeOf(shapeValue);
  return new NDArray(dtype, shape, decodeArray(dtype, shape, buffer, order === 'F'));
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`, or `(dtype('O'), obj)` for object scalars. */
export function numpyScalar(dtype: PyValue, payload: PyValue): NumpyScalar {
  if (!(dtype instanceof DType)) throw new PickleError('numpy scalar expects a dtype');
  if (dtype.kind === 'O') return new NumpyScalar(dtype, payload ?? null);
  const bytes = typeof payload === 'string' ? latin1Bytes(payload) : payload;
  if (!(bytes instanceof Uint8Array)) throw new PickleError('numpy scalar data is not bytes');
  const data = decodeArray(dtype, [], bytes, false);
  if (data instanceof Map) throw new PickleError('structured numpy scalars are not supported');
  const value = (data as ArrayLike<PyValue>)[0] ?? null;
  return new NumpyScalar(dtype, dtype.kind === 'b' ? value !== 0 : (value as PyValue));
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new PickleError('numpy array data is text that is not latin-1');
    out[i] = c;
  }
  return out;
}

function decodeArray(dtype: DType, shape: readonly number[], bytes: Uint8Array, fortran: boolean): NDArrayData {
  const count = countOf(shape);
  if (dtype.itemsize * count !== bytes.length) {
    throw new PickleError(`numpy array data has ${bytes.length} bytes, but shape (${shape.join(', ')}) of ${dtype.name} needs ${dtype.itemsize * count}`);
  }
  const cOrder = fortran && shape.length > 1 ? fortranToC(bytes, shape, dtype.itemsize) : bytes;
  return decodeElements(dtype, cOrder, count, shape);
}

/** Reorders whole elements of a column-major buffer into row-major order. */
function fortranToC(bytes: Uint8Array, shape: readonly number[], itemsize: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const ndim = shape.length;
  const fStride: number[] = new Array<number>(ndim);
  let s = 1;
  for (let k = 0; k < ndim; k++) {
    fStride[k] = s;
    s *= shape[k]!;
  }
  const index = new Array<number>(ndim).fill(0);
  const count = s;
  for (let c = 0; c < count; c++) {
    let f = 0;
    for (let k = 0; k < ndim; k++) f += index[k]! * fStride[k]!;
    out.set(bytes.subarray(f * itemsize, (f + 1) * itemsize), c * itemsize);
    for (let k = ndim - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  return out;
}

/** `count` contiguous elements of `dtype`; `shape` is the array's (fields get it plus their sub-array shape). */
function decodeElements(dtype: DType, bytes: Uint8Array, count: number, shape: readonly number[]): NDArrayData {
  if (dtype.fields !== null) return decodeRecords(dtype, bytes, count, shape);
  if (dtype.subarray !== null) throw new PickleError('numpy sub-array dtypes are only supported as fields');
  switch (dtype.kind) {
    case 'b':
    case 'i':
    case 'u':
    case 'f':
      return decodeNumbers(dtype, bytes, count);
    case 'U':
      return decodeStrings(dtype, bytes, count);
    case 'S':
      return chunks(bytes, dtype.itemsize, count, true);
    case 'V':
      return chunks(bytes, dtype.itemsize, count, false);
    case 'O':
      throw new PickleError('numpy object data must be pickled as a list');
  }
}

function decodeRecords(dtype: DType, bytes: Uint8Array, count: number, shape: readonly number[]): Map<string, NDArray> {
  const out = new Map<string, NDArray>();
  const size = dtype.itemsize;
  for (const field of dtype.fields!) {
    const fieldType = field.dtype;
    const width = fieldType.subarray ? fieldType.subarray.base.itemsize * countOf(fieldType.subarray.shape) : fieldType.itemsize;
    if (field.offset < 0 || field.offset + width > size) throw new PickleError(`numpy field '${field.name}' lies outside its record`);
    if (fieldType.kind === 'O' || fieldType.subarray?.base.kind === 'O') {
      throw new PickleError(`numpy structured field '${field.name}' holds objects, which flowgate does not read`);
    }
    if (fieldType.isNumeric && fieldType.subarray === null && fieldType.fields === null) {
      out.set(field.name, new NDArray(fieldType, [...shape], readStrided(fieldType, bytes, field.offset, size, count)));
      continue;
    }
    const gathered = new Uint8Array(width * count);
    for (let i = 0, to = 0; i < count; i++) {
      const at = i * size + field.offset;
      for (let b = 0; b < width; b++) gathered[to++] = bytes[at + b]!;
    }
    if (fieldType.subarray) {
      const base = fieldType.subarray.base;
      const fieldShape = [...shape, ...fieldType.subarray.shape];
      const n = countOf(fieldShape);
      out.set(field.name, new NDArray(base, fieldShape, decodeElements(base, gathered, n, fieldShape)));
    } else {
      out.set(field.name, new NDArray(fieldType, [...shape], decodeElements(fieldType, gathered, count, shape)));
    }
  }
  return out;
}

function decodeNumbers(dtype: DType, bytes: Uint8Array, count: number): Float64Array {
  const size = dtype.itemsize;
  const code = `${dtype.kind}${size}`;
  const little = dtype.byteOrder !== '>';
  // Typed-array views need aligned little-endian bytes: copy once into a fresh buffer (big-endian is swapped first).
  const aligned = new Uint8Array(bytes);
  if (!little && size > 1) {
    for (let i = 0; i < aligned.length; i += size) aligned.subarray(i, i + size).reverse();
  }
  const buffer = aligned.buffer;
  switch (code) {
    case 'f8': return new Float64Array(buffer, 0, count);
    case 'f4': return Float64Array.from(new Float32Array(buffer, 0, count));
    case 'i4': return Float64Array.from(new Int32Array(buffer, 0, count));
    case 'u4': return Float64Array.from(new Uint32Array(buffer, 0, count));
    case 'i2': return Float64Array.from(new Int16Array(buffer, 0, count));
    case 'u2': return Float64Array.from(new Uint16Array(buffer, 0, count));
    case 'i1': return Float64Array.from(new Int8Array(buffer, 0, count));
    case 'u1': return Float64Array.from(aligned);
    case 'b1': return Float64Array.from(aligned, (b) => (b !== 0 ? 1 : 0));
    case 'i8':
    case 'u8': {
      // hi * 2^32 + lo rounds once, like Number(bigint), without a BigInt per element.
      const words = new Uint32Array(buffer, 0, 2 * count);
      const signed = code === 'i8';
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const hi = words[2 * i + 1]!;
        out[i] = (signed ? hi | 0 : hi) * 4294967296 + words[2 * i]!;
      }
      return out;
    }
    case 'f2': return Float64Array.from(new Uint16Array(buffer, 0, count), float16Value);
    default: throw new PickleError(`numpy dtype ${code} is not supported`);
  }
}

/** One numeric field of every record, read in place (no gathering copy): records of `stride` bytes. */
function readStrided(dtype: DType, bytes: Uint8Array, offset: number, stride: number, count: number): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = numberReader(dtype.kind, dtype.itemsize, dtype.byteOrder !== '>', view);
  const out = new Float64Array(count);
  for (let i = 0, at = offset; i < count; i++, at += stride) out[i] = read(at);
  return out;
}

function numberReader(kind: DTypeKind, size: number, little: boolean, v: DataView): (at: number) => number {
  switch (`${kind}${size}`) {
    case 'b1': return (at) => (v.getUint8(at) !== 0 ? 1 : 0);
    case 'i1': return (at) => v.getInt8(at);
    case 'u1': return (at) => v.getUint8(at);
    case 'i2': return (at) => v.getInt16(at, little);
    case 'u2': return (at) => v.getUint16(at, little);
    case 'i4': return (at) => v.getInt32(at, little);
    case 'u4': return (at) => v.getUint32(at, little);
    // hi * 2^32 + lo rounds once, like Number(bigint), without a BigInt per element.
    case 'i8': return little
      ? (at) => v.getInt32(at + 4, true) * 4294967296 + v.getUint32(at, true)
      : (at) => v.getInt32(at, false) * 4294967296 + v.getUint32(at + 4, false);
    case 'u8': return little
      ? (at) => v.getUint32(at + 4, true) * 4294967296 + v.getUint32(at, true)
      : (at) => v.getUint32(at, false) * 4294967296 + v.getUint32(at + 4, false);
    case 'f2': return (at) => float16Value(v.getUint16(at, little));
    case 'f4': return (at) => v.getFloat32(at, little);
    case 'f8': return (at) => v.getFloat64(at, little);
    default: throw new PickleError(`numpy dtype ${kind}${size} is not supported`);
  }
}

function decodeStrings(dtype: DType, bytes: Uint8Array, count: number): string[] {
  const chars = dtype.itemsize / 4;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = dtype.byteOrder !== '>';
  const out = new Array<string>(count);
  const points: number[] = [];
  for (let i = 0; i < count; i++) {
    points.length = 0;
    for (let c = 0; c < chars; c++) points.push(view.getUint32((i * chars + c) * 4, little));
    let end = points.length;
    while (end > 0 && points[end - 1] === 0) end--;
    points.length = end;
    if (points.some((p) => p > 0x10ffff)) throw new PickleError('numpy str array holds an invalid code point');
    out[i] = String.fromCodePoint(...points);
  }
  return out;
}

function chunks(bytes: Uint8Array, size: number, count: number, stripNuls: boolean): Uint8Array[] {
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    let end = (i + 1) * size;
    if (stripNuls) while (end > i * size && bytes[end - 1] === 0) end--;
    out[i] = bytes.slice(i * size, end);
  }
  return out;
}
