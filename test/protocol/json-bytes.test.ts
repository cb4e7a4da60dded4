/**
 * parseJsonBytes (the replica threads' reader for large bodies) against parseJsonLenient
 * (the reference: JSON.parse plus NaN/Infinity): on thousands of generated documents and
 * their mutations, the same value (-0, NaN and key order included) or the same error.
 */
import { describe, expect, test } from 'vitest';
import { seededRandom } from '../../src/endpoints/bandit.js';
import { parseJsonBytes } from '../../src/protocol/json-bytes.js';
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';

type Outcome = { value: unknown } | { error: string };

/**
 * The error's position is left out: parseJsonLenient's own positions vary from call to call
 * when the text has NaN/Infinity tokens (it rescans with a random marker).
 */
function outcome(parse: () => unknown): Outcome {
  try {
    return { value: parse() };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message.replace(/ at position \d+.*$/, '')}` };
  }
}

function same(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  const expected = outcome(() => parseJsonLenient(bytes.toString('utf8')));
  const actual = outcome(() => parseJsonBytes(new Uint8Array(bytes)));
  if ('error' in expected && 'error' in actual && /NaN|Infinity/.test(text)) {
    // the reference's message then quotes its random marker: only the kind of error compares
    expect(actual.error.split(':')[0]).toBe(expected.error.split(':')[0]);
    return;
  }
  expect(actual, text.length < 300 ? text : `${text.slice(0, 300)}…`).toStrictEqual(expected);
  if ('value' in expected) expect(Object.is(JSON.stringify(expected.value), JSON.stringify((actual as { value: unknown }).value))).toBe(true);
}

const NUMBERS = [
  '0', '-0', '-0.0', '1', '-1', '12345', '123456789012345', '1234567890123456', '12345678901234567890', '9007199254740993', '0.1', '0.3', '-2.5', '3.141592653589793',
  '1e3', '1E3', '1e+3', '1e-3', '-1.5e-7', '1e308', '1e309', '-1e309', '5e-324', '2e-324', '1.7976931348623157e308', '0.000001', '123.456e2', '0.1234567890123456789',
  '4.35', '5.1', '99999999999999.9', '999999999999999', '0.000000000000000000001', '1.00000000000000000001', 'NaN', 'Infinity', '-Infinity',
];
const STRINGS = ['""', '"a"', '"sepal length (cm)"', '"é"', '"日本"', '"😀"', '"\\n\\t\\\\\\"\\/"', '"\\u00e9\\u2028"', '"\\ud83d\\ude00"', '"NaN"', '"-Infinity"', '"a,b]c}"', '"__proto__"'];

function generate(random: () => number, depth: number): string {
  const r = random();
  if (depth > 4 || r < 0.45) {
    const s = random();
    if (s < 0.6) return NUMBERS[Math.floor(random() * NUMBERS.length)]!;
    if (s < 0.8) return STRINGS[Math.floor(random() * STRINGS.length)]!;
    return ['true', 'false', 'null'][Math.floor(random() * 3)]!;
  }
  const ws = () => [' ', '', '\n', '\t', '\r\n  '][Math.floor(random() * 5)]!;
  const n = Math.floor(random() * 5);
  if (r < 0.75) return `[${ws()}${Array.from({ length: n }, () => generate(random, depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  const keys = ['a', 'b', 'dataframe_split', 'data', 'columns', '1', '0', 'é', 'a'];
  return `{${ws()}${Array.from({ length: n }, () => `${JSON.stringify(keys[Math.floor(random() * keys.length)])}${ws()}:${ws()}${generate(random, depth + 1)}`).join(',')}${ws()}}`;
}

/** Breaks a document: a byte dropped, doubled or replaced by a token that often means trouble. */
function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  const noise = [',', ']', '}', '[', '{', '"', '\\', ':', '-', '.', 'e', '0', 'N', 'I', ' ', 'x', '\u0001', '\u00ff'];
  const k = random();
  if (k < 0.33) return text.slice(0, at) + text.slice(at + 1);
  if (k < 0.66) return text.slice(0, at) + noise[Math.floor(random() * noise.length)]! + text.slice(at + 1);
  return text.slice(0, at) + noise[Math.floor(random() * noise.length)]! + text.slice(at);
}

describe('parseJsonBytes reads what parseJsonLenient reads', () => {
  test('every number and string token, alone and in arrays', () => {
    for (const t of [...NUMBERS, ...STRINGS, 'true', 'false', 'null']) {
      same(t);
      same(`[${t}]`);
      same(` [ ${t} , ${t} ] `);
      same(`{"k": ${t}}`);
    }
  });

  test('5,000 generated documents and 5,000 broken ones', () => {
    const random = seededRandom(20261204);
    for (let i = 0; i < 5_000; i++) {
      const doc = generate(random, 0);
      same(doc);
      same(mutate(doc, random));
    }
  });

  test('edge cases: empty, whitespace, trailing bytes, duplicate keys, __proto__, BOM, control characters, invalid UTF-8, deep nesting', () => {
    for (const t of ['', ' ', '[', ']', '[1,]', '[,1]', '{"a":1,}', '{"a" 1}', '{a:1}', '1 2', '[1] x', '{"a":1,"a":2}', '{"__proto__": {"x": 1}}', '\ufeff[1]', '"a\u0001b"', '[01]', '[1.]', '[.5]', '[1e]', '[+1]', '[-]', '[--1]', '[-NaN]', '[NaNx]', '[Infinityx]', '[tru]', '[nul]', '"\\x"', '"\\u12"', '"abc']) {
      same(t);
    }
    same('['.repeat(1_000) + ']'.repeat(1_000));
    same('{"a":'.repeat(1_000) + '1' + '}'.repeat(1_000));
    const invalidUtf8 = Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x61, 0x22, 0x5d]); // ["\xff\xfea"]
    expect(parseJsonBytes(new Uint8Array(invalidUtf8))).toStrictEqual(parseJsonLenient(invalidUtf8.toString('utf8')));
  });

  test('a dataframe_split body of 10,000 rows', () => {
    const random = seededRandom(7);
    const data = Array.from({ length: 10_000 }, () => [random() * 10, -random() * 1e-5, Math.round(random() * 1e6), random() < 0.01 ? null : random() * 1e300]);
    same(JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c', 'd'], data } }));
  });
});
