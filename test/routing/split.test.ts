/**
 * The traffic split: weighted draws match the weights, sticky keys are stable and move as
 * little as possible when weights or variants change, and the hash is the documented one.
 */
import { describe, expect, test } from 'vitest';
import { fmix32, fnv1a, unitInterval } from '../../src/routing/hash.js';
import { WeightedSplit } from '../../src/routing/split.js';
import { chiSquare } from './helpers.js';

// chi-square critical values at p = 0.0001 (a correct split fails 1 run in 10,000)
const CRITICAL_DF1 = 15.14;
const CRITICAL_DF2 = 18.42;

const keys = (n: number, prefix = 'user-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function counts(split: WeightedSplit, n: number, pick: (i: number) => number): number[] {
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < 10_000; i++) out[pick(i)]!++;
  return out;
}

describe('FNV-1a hash', () => {
  test('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  test('hashes the UTF-8 bytes (as any other language would)', () => {
    for (const s of ['é', 'ключ', '用户', '😀 emoji', 'mixed-ascii-é-😀']) {
      let h = 0x811c9dc5;
      for (const byte of Buffer.from(s, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
      expect(fnv1a(s)).toBe(h);
    }
  });

  test('continuing from a prefix state equals hashing the whole string', () => {
    expect(fnv1a('user-42', fnv1a('iris\u0000champion\u0000'))).toBe(fnv1a('iris\u0000champion\u0000user-42'));
  });

  test('points land strictly inside (0, 1)', () => {
    expect(unitInterval(0)).toBeGreaterThan(0);
    expect(unitInterval(0xffffffff)).toBeLessThan(1);
    expect(fmix32(fnv1a('a'))).not.toBe(fnv1a('a'));
  });
});

describe('weighted split', () => {
  const variants = [
    { name: 'champion', weight: 50 },
    { name: 'challenger', weight: 30 },
    { name: 'canary', weight: 20 },
  ];
  const shares = [0.5, 0.3, 0.2];

  test('random draws follow the weights (chi-square over 10k draws)', () => {
    const split = new WeightedSplit('iris', variants);
    expect(chiSquare(counts(split, 3, () => split.random()), shares)).toBeLessThan(CRITICAL_DF2);
  });

  test('sticky keys follow the weights (chi-square over 10k distinct keys)', () => {
    const split = new WeightedSplit('iris', variants);
    expect(chiSquare(counts(split, 3, (i) => split.sticky(`user-${i}`)), shares)).toBeLessThan(CRITICAL_DF2);
  });

  test('a 90/10 split holds for sticky keys', () => {
    const split = new WeightedSplit('iris', [
      { name: 'champion', weight: 90 },
      { name: 'challenger', weight: 10 },
    ]);
    expect(chiSquare(counts(split, 2, (i) => split.sticky(`session:${i * 7919}`)), [0.9, 0.1])).toBeLessThan(CRITICAL_DF1);
  });

  test('the same key lands on the same variant every time, in every process (no state)', () => {
    const a = new WeightedSplit('iris', variants);
    const b = new WeightedSplit('iris', variants);
    for (const k of keys(1000)) expect(a.sticky(k)).toBe(b.sticky(k));
  });

  test('the order the variants are listed in does not matter', () => {
    const a = new WeightedSplit('iris', variants);
    const reversed = [...variants].reverse();
    const b = new WeightedSplit('iris', reversed);
    for (const k of keys(2000)) expect(variants[a.sticky(k)]!.name).toBe(reversed[b.sticky(k)]!.name);
  });

  test('the endpoint name is part of the hash: endpoints split keys independently', () => {
    const a = new WeightedSplit('iris', variants);
    const b = new WeightedSplit('fraud', variants);
    const differ = keys(2000).filter((k) => a.sticky(k) !== b.sticky(k)).length;
    expect(differ).toBeGreaterThan(500);
  });

  test('raising one weight (90/10 → 80/20) only moves keys to that variant, about as many as the weight asks', () => {
    const before = new WeightedSplit('iris', [
      { name: 'champion', weight: 90 },
      { name: 'challenger', weight: 10 },
    ]);
    const after = new WeightedSplit('iris', [
      { name: 'champion', weight: 80 },
      { name: 'challenger', weight: 20 },
    ]);
    let moved = 0;
    for (const k of keys(10_000)) {
      const [from, to] = [before.sticky(k), after.sticky(k)];
      if (from === to) continue;
      expect([from, to]).toEqual([0, 1]);
      moved++;
    }
    // 10 % of the keys must move; a cumulative-range split moves the same here, but see the next test
    expect(moved).toBeGreaterThan(900);
    expect(moved).toBeLessThan(1100);
  });

  test('changing one weight never moves keys between two variants whose weights did not change', () => {
    const before = new WeightedSplit('iris', variants);
    const after = new WeightedSplit('iris', [variants[0]!, variants[1]!, { name: 'canary', weight: 40 }]);
    for (const k of keys(10_000)) {
      const [from, to] = [before.sticky(k), after.sticky(k)];
      if (from !== to) expect(to).toBe(2);
    }
  });

  test('removing a variant only moves the keys it had', () => {
    const before = new WeightedSplit('iris', variants);
    const after = new WeightedSplit('iris', variants.slice(0, 2));
    for (const k of keys(5000)) {
      const from = before.sticky(k);
      if (from !== 2) expect(after.sticky(k)).toBe(from);
    }
  });

  test('a weight of 0 gets no traffic, sticky or not', () => {
    const split = new WeightedSplit('iris', [
      { name: 'champion', weight: 1 },
      { name: 'challenger', weight: 0 },
    ]);
    for (let i = 0; i < 2000; i++) {
      expect(split.random()).toBe(0);
      expect(split.sticky(`k${i}`)).toBe(0);
    }
  });

  test('weights that add up to 0 are refused', () => {
    expect(() => new WeightedSplit('iris', [{ name: 'a', weight: 0 }])).toThrow(/more than 0/);
  });
});
