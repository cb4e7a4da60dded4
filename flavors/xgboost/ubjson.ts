/**
 * Universal Binary JSON (https://ubjson.org, draft 12), as XGBoost writes `.ubj` models:
 * big-endian numbers, object keys without a type marker, and strongly typed arrays
 * (`[$d#L<n>` …) for every per-node field. Typed arrays decode to typed arrays so a large
 * model costs one copy, not one JS number per element.
 */

export type UbjValue =
  | null
  | boolean
  | number
  | string
  | UbjValue[]
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | { [key: string]: UbjValue };

export function decodeUbjson(bytes: Uint8Array): UbjValue {
  const reader = new Reader(bytes);
  const value = reader.value(reader.marker());
  return value;
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  private readonly text = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  marker(): string {
    // N (no-op) may appear anywhere a value may.
    let m: string;
    do {
      m = String.fromCharCode(this.byte());
    } while (m === 'N');
    return m;
  }

  value(marker: string): UbjValue {
    switch (marker) {
      case 'Z':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case '{':
        return this.object();
      case '[':
        return this.array();
      case 'S':
        return this.string();
      case 'C':
        return String.fromCharCode(this.byte());
      case 'H':
        return Number(this.string());
      default:
        return this.number(marker);
    }
  }

  private number(marker: string): number {
    const v = this.view;
    const at = this.advance(SIZE[marker] ?? this.fail(`unknown type marker '${marker}'`));
    switch (marker) {
      case 'i': return v.getInt8(at);
      case 'U': return v.getUint8(at);
      case 'I': return v.getInt16(at);
      case 'l': return v.getInt32(at);
      case 'L': return int64(v.getBigInt64(at), at);
      case 'd': return v.getFloat32(at);
      case 'D': return v.getFloat64(at);
      default: return this.fail(`unknown type marker '${marker}'`);
    }
  }

  private length(): number {
    const n = this.number(this.marker());
    if (!Number.isInteger(n) || n < 0) this.fail(`invalid length ${n}`);
    return n;
  }

  private string(): string {
    const n = this.length();
    const at = this.advance(n);
    return this.text.decode(this.bytes.subarray(at, at + n));
  }

  /** Container header: `$type` and/or `#count`, both optional. */
  private header(): { type: string | null; count: number | null } {
    let type: string | null = null;
    let count: number | null = null;
    if (this.peek() === '$') {
      this.pos++;
      type = String.fromCharCode(this.byte());
      if (this.peek() !== '#') this.fail('a typed container needs a count');
    }
    if (this.peek() === '#') {
      this.pos++;
      count = this.length();
    }
    return { type, count };
  }

  private array(): UbjValue {
    const { type, count } = this.header();
    if (type !== null && count !== null) {
      const typed = this.typedArray(type, count);
      if (typed !== null) return typed;
    }
    const out: UbjValue[] = [];
    if (count !== null) {
      for (let i = 0; i < count; i++) out.push(this.value(type ?? this.marker()));
      return out;
    }
    for (let m = this.marker(); m !== ']'; m = this.marker()) out.push(this.value(m));
    return out;
  }

  private typedArray(type: string, count: number): UbjValue | null {
    const size = SIZE[type];
    if (size === undefined) return null;
    const at = this.advance(size * count);
    const v = this.view;
    switch (type) {
      case 'U': return this.bytes.slice(at, at + count);
      case 'i': return new Int8Array(this.bytes.slice(at, at + count).buffer);
      case 'I': return fill(new Int16Array(count), (k) => v.getInt16(at + 2 * k));
      case 'l': return fill(new Int32Array(count), (k) => v.getInt32(at + 4 * k));
      case 'd': return fill(new Float32Array(count), (k) => v.getFloat32(at + 4 * k));
      case 'D': return fill(new Float64Array(count), (k) => v.getFloat64(at + 8 * k));
      // int64 has no JS typed array that reads as numbers; values XGBoost stores fit in 2^53.
      case 'L': return fill(new Float64Array(count), (k) => int64(v.getBigInt64(at + 8 * k), at + 8 * k));
      default: return null;
    }
  }

  private object(): { [key: string]: UbjValue } {
    const { type, count } = this.header();
    const out: { [key: string]: UbjValue } = {};
    const entry = (): void => {
      const key = this.string();
      out[key] = this.value(type ?? this.marker());
    };
    if (count !== null) {
      for (let i = 0; i < count; i++) entry();
      return out;
    }
    while (this.peek() !== '}') {
      if (this.peek() === 'N') this.pos++;
      else entry();
    }
    this.pos++;
    return out;
  }

  private peek(): string {
    if (this.pos >= this.bytes.length) this.fail('unexpected end of data');
    return String.fromCharCode(this.bytes[this.pos]!);
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) this.fail('unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  private advance(n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.length) this.fail('unexpected end of data');
    this.pos += n;
    return at;
  }

  private fail(message: string): never {
    throw new Error(`invalid UBJSON at byte ${this.pos}: ${message}`);
  }
}

const SIZE: Record<string, number> = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8 };

function int64(v: bigint, at: number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`invalid UBJSON at byte ${at}: int64 ${v} does not fit a double`);
  }
  return Number(v);
}

function fill<T extends { length: number; [i: number]: number }>(out: T, get: (k: number) => number): T {
  for (let k = 0; k < out.length; k++) out[k] = get(k);
  return out;
}
