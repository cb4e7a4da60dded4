/**
 * Sequential reads over the pickle bytes. Every read checks the end of the input, so a
 * truncated or lying length prefix fails cleanly instead of reading past the buffer.
 */
import { PickleError } from './errors.js';

// ignoreBOM: a str that starts with U+FEFF keeps it (Python's does)
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Bytes as latin-1 text (one char per byte). TextDecoder('latin1') is windows-1252, so not that. */
export function latin1Text(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

export class ByteReader {
  pos = 0;
  private readonly view: DataView;

  readonly bytes: Uint8Array;

  constructor(input: Uint8Array) {
    // A plain view, even of a Node Buffer, whose slice() is a view rather than a copy.
    this.bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  private need(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.length) {
      throw new PickleError(`pickle is truncated: needs ${n} bytes at byte ${this.pos}, has ${this.bytes.length - this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An 8-byte little-endian length; lengths beyond 2^53 cannot be real and fail in need(). */
  u64(): number {
    this.need(8);
    const v = Number(this.view.getBigUint64(this.pos, true));
    this.pos += 8;
    return v;
  }

  f64be(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A copy, so that later mutation of the input cannot change unpickled values. */
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  utf8(n: number): string {
    this.need(n);
    const s = utf8.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  latin1(n: number): string {
    this.need(n);
    const s = latin1Text(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  /** A protocol 0 text argument: the bytes up to '\n', decoded as latin-1, without the newline. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleError(`pickle is truncated: unterminated line at byte ${this.pos}`);
    const s = latin1Text(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}
