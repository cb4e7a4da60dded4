/**
 * JSON read straight from a body's UTF-8 bytes, with exactly the values parseJsonLenient
 * gives for its text (RFC 8259 plus the bare tokens NaN, Infinity, -Infinity), for the
 * large bodies a replica thread decodes. Two reasons not to use JSON.parse there:
 * - it needs the whole body as one string first (a second copy of a large body);
 * - it cannot be interrupted: a replica thread recycled for a missed deadline keeps parsing
 *   until JSON.parse returns (seconds for tens of MB). These loops stop at once.
 * Iterative (an explicit stack, no recursion). Anything it does not accept as it stands
 * (a syntax error, a `__proto__` key) is handed to parseJsonLenient on the text, so
 * errors and odd cases are identical by construction.
 */
import { asBuffer } from './bytes.js';
import { parseJsonLenient } from './lenient-json.js';

/** Thrown inside: the input is left to parseJsonLenient. */
class NotHere extends Error {}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= ZERO && c <= NINE;

/**
 * An open container. An array's elements wait on a scratch stack shared by all arrays and
 * are copied into an array of their exact length when it closes (arrays grown by push keep
 * spare capacity: about four times the memory for the short rows of a dataframe).
 */
interface Frame {
  /** the object being filled; null for an array */
  object: Record<string, unknown> | null;
  /** arrays: where its elements start on the scratch stack */
  start: number;
  /** objects: the key of the value being read */
  key: string | null;
}

export function parseJsonBytes(bytes: Uint8Array): unknown {
  const text = asBuffer(bytes);
  try {
    return new Reader(text).document();
  } catch (err) {
    if (!(err instanceof NotHere)) throw err;
    return parseJsonLenient(text.toString('utf8'));
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly b: Buffer) {}

  document(): unknown {
    const stack: Frame[] = [];
    const elements: unknown[] = [];
    let value: unknown;
    for (;;) {
      // read one value (or open a container)
      const c = this.skipSpace();
      if (c === OPEN_ARRAY) {
        this.pos++;
        if (this.skipSpace() === CLOSE_ARRAY) {
          this.pos++;
          value = [];
        } else {
          stack.push({ object: null, start: elements.length, key: null });
          continue;
        }
      } else if (c === OPEN_OBJECT) {
        this.pos++;
        if (this.skipSpace() === CLOSE_OBJECT) {
          this.pos++;
          value = {};
        } else {
          stack.push({ object: {}, start: 0, key: this.key() });
          continue;
        }
      } else {
        value = this.scalar(c);
      }
      // hand it to its container, closing every container it completes
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (this.skipSpace() !== undefined) throw new NotHere();
          return value;
        }
        if (top.object === null) elements.push(value);
        else top.object[top.key!] = value;
        const next = this.skipSpace();
        if (next === COMMA) {
          this.pos++;
          if (top.object !== null) top.key = (this.skipSpace(), this.key());
          break;
        }
        if (next !== (top.object === null ? CLOSE_ARRAY : CLOSE_OBJECT)) throw new NotHere();
        this.pos++;
        stack.pop();
        if (top.object === null) {
          value = elements.slice(top.start);
          elements.length = top.start;
        } else {
          value = top.object;
        }
      }
    }
  }

  /** The next byte that is not JSON whitespace (undefined at the end), not consumed. */
  private skipSpace(): number | undefined {
    const b = this.b;
    let p = this.pos;
    let c = b[p];
    while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++p];
    this.pos = p;
    return c;
  }

  /** An object key and its colon. */
  private key(): string {
    if (this.b[this.pos] !== QUOTE) throw new NotHere();
    const key = this.string();
    if (key === '__proto__') throw new NotHere(); // JSON.parse makes it an own property; an assignment would not
    if (this.skipSpace() !== COLON) throw new NotHere();
    this.pos++;
    return key;
  }

  private scalar(c: number | undefined): unknown {
    if (c === QUOTE) return this.string();
    if (c === MINUS || isDigit(c)) return this.number();
    if (this.word('true')) return true;
    if (this.word('false')) return false;
    if (this.word('null')) return null;
    if (this.word('NaN')) return NaN;
    if (this.word('Infinity')) return Infinity;
    throw new NotHere();
  }

  private word(w: string): boolean {
    const b = this.b;
    for (let i = 0; i < w.length; i++) if (b[this.pos + i] !== w.charCodeAt(i)) return false;
    this.pos += w.length;
    return true;
  }

  /** A number token as RFC 8259 writes it (or -Infinity); its value as JSON.parse gives it. */
  private number(): number {
    const b = this.b;
    const start = this.pos;
    let p = start;
    if (b[p] === MINUS) {
      p++;
      if (b[p] === 0x49 /* I */) {
        this.pos = p;
        if (this.word('Infinity')) return -Infinity;
        throw new NotHere();
      }
    }
    const digitsStart = p;
    if (b[p] === ZERO) p++;
    else if (isDigit(b[p])) while (isDigit(b[p])) p++;
    else throw new NotHere();
    let fractionStart = p; // no fraction: an empty one
    let fractionEnd = p;
    if (b[p] === DOT) {
      fractionStart = ++p;
      if (!isDigit(b[p])) throw new NotHere();
      while (isDigit(b[p])) p++;
      fractionEnd = p;
    }
    const mantissaEnd = p;
    if (b[p] === 0x65 || b[p] === 0x45 /* e E */) {
      p++;
      if (b[p] === PLUS || b[p] === MINUS) p++;
      if (!isDigit(b[p])) throw new NotHere();
      while (isDigit(b[p])) p++;
    }
    this.pos = p;
    // Clinger's fast path: up to 15 digits are an exact integer m in a double, and 10^k for
    // k <= 22 is exact, so m / 10^k is one correctly rounded division: the value Number()
    // gives, without a string per cell.
    const digits = mantissaEnd - digitsStart - (fractionEnd > fractionStart ? 1 : 0);
    if (p === mantissaEnd && digits <= 15) {
      let n = 0;
      for (let i = digitsStart; i < mantissaEnd; i++) {
        const c = b[i]!;
        if (c !== DOT) n = n * 10 + (c - ZERO);
      }
      const value = n / POW10[fractionEnd - fractionStart]!;
      return digitsStart === start ? value : -value;
    }
    return Number(b.toString('latin1', start, p));
  }

  /** A string token (at its opening quote); escapes are read by JSON.parse itself. */
  private string(): string {
    const b = this.b;
    const start = ++this.pos;
    let p = start;
    let ascii = true;
    let escaped = false;
    for (;;) {
      const c = b[p];
      if (c === undefined || c < 0x20) throw new NotHere();
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        p += 2;
        continue;
      }
      if (c >= 0x80) ascii = false;
      p++;
    }
    this.pos = p + 1;
    if (escaped) {
      try {
        return JSON.parse(b.toString('utf8', start - 1, p + 1)) as string;
      } catch {
        throw new NotHere(); // a bad escape: the error is parseJsonLenient's
      }
    }
    return ascii ? b.toString('latin1', start, p) : b.toString('utf8', start, p);
  }
}
