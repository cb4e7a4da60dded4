/** The text arguments of protocol 0 opcodes (INT, LONG, FLOAT, STRING, UNICODE), parsed as Python does. */
import { PickleError } from './errors.js';

/** A Python int literal as a number, or a bigint when it is beyond ±2^53. */
export function parseInt10(text: string): number | bigint {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new PickleError(`pickle has an invalid integer '${text}'`);
  return intValue(BigInt(t));
}

export function intValue(v: bigint): number | bigint {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
}

export function parseFloatText(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const v = Number(t);
  if (t === '' || Number.isNaN(v)) throw new PickleError(`pickle has an invalid float '${text}'`);
  return v;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

/** STRING's argument: a quoted Python 2 str repr, unescaped to one char per byte. */
export function parseQuotedString(text: string): string {
  const q = text[0];
  if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) {
    throw new PickleError('pickle STRING argument is not quoted');
  }
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new PickleError('pickle STRING argument ends in a backslash');
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === 'x') {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new PickleError('pickle STRING argument has a bad \\x escape');
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else {
      out += `\\${e}`;
    }
  }
  return out;
}

/** UNICODE's argument: raw-unicode-escape, where only \uXXXX and \UXXXXXXXX are escapes. */
export function parseRawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
    const cp = parseInt((u4 ?? u8)!, 16);
    if (cp > 0x10ffff) throw new PickleError('pickle UNICODE argument has an invalid code point');
    return String.fromCodePoint(cp);
  });
}
