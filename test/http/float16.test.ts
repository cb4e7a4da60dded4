/**
 * FP16: numpy's float16 rounding, and a float16 ONNX model whose half outputs are served as
 * numpy's float16 values (before, the raw 16-bit patterns came back as numbers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { float16Bits, float16Value } from '../../src/model/float16.js';
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';
import type { RunningServer } from '../../src/server.js';
import { REPO } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';

describe('half precision', () => {
  test('float16 rounding is numpy\'s: nearest even, subnormals, overflow to infinity', () => {
    const cases: [number, number][] = [
      [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001], [6.1e-5, 0x03ff], [-0, 0x8000], [-2.5, 0xc100], [Infinity, 0x7c00],
    ];
    for (const [x, bits] of cases) expect(float16Bits(x), String(x)).toBe(bits);
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
    for (let bits = 0; bits < 0x7c00; bits += 37) expect(float16Bits(float16Value(bits))).toBe(bits); // every finite half round-trips
  });

  const fixture = join(REPO, 'test/.generated/onnx/onnx_fp16');
  const have = existsSync(join(fixture, 'expected.json'));
  if (!have) console.warn(`${fixture} not generated (npm run fixtures): the float16 ONNX model tests skip`);

  describe.skipIf(!have)('a float16 ONNX model', () => {
    let server: RunningServer;
    let expected: { input: number[][]; half: number[][]; single: number[][]; half_bits: number[][] };
    let inputText: string; // as Python wrote it: JSON.stringify would lose the -0.0
    beforeAll(async () => {
      server = await startFlowgate(fixture);
      const text = readFileSync(join(fixture, 'expected.json'), 'utf8');
      expected = parseJsonLenient(text) as typeof expected;
      inputText = /"input": (\[\[.*?\]\])/.exec(text)![1]!;
    });
    afterAll(() => server?.close());

    test('/invocations answers numpy\'s float16 values', async () => {
      const inv = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `{"inputs": {"x": ${inputText}}}` });
      const text = await inv.text();
      expect(inv.status, text).toBe(200);
      expect(parseJsonLenient(text)).toEqual({ predictions: { half: expected.half, single: expected.single } });
    });
  });
});
