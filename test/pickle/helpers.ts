import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Hand-built pickle bytes: strings are latin-1 text (opcodes and arguments), arrays are raw bytes. */
export function pk(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

export const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
export const u64le = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/** Protocol 4 STACK_GLOBAL of module.name. */
export function stackGlobal(module: string, name: string): Uint8Array {
  return pk('\x8c', [module.length], module, '\x8c', [name.length], name, '\x93');
}

export const GENERATED = 'test/.generated/sklearn';

/** The generated fixture directories (one per reference scikit-learn), e.g. test/.generated/sklearn/sk1.9.1. */
export function generatedVersions(): string[] {
  if (!existsSync(GENERATED)) return [];
  return readdirSync(GENERATED)
    .filter((d) => d.startsWith('sk') && existsSync(join(GENERATED, d, 'cases.json')))
    .map((d) => join(GENERATED, d));
}

export const NO_GENERATED =
  'generated sklearn fixtures are absent: run test/fixtures-gen/sklearn.sh (or npm run fixtures) to create them';
