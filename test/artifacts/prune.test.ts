/**
 * Cache pruning: entries in use are never removed; of the others the most recently used
 * `keep` stay, then the size cap removes the least recently used; nothing that is not a
 * cache entry (refs/, partial downloads, a stranger's folder) is touched.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { pruneCache } from '../../src/artifacts/cache.js';
import { serveConfig } from '../../src/config.js';

let dir: string;
const logger = pino({ level: 'silent' });

/** A cache entry of `bytes` bytes, last used `ageSeconds` ago. */
function entry(name: string, bytes: number, ageSeconds: number): string {
  const path = join(dir, `${name}-${'0123456789abcdef'}`.slice(0, name.length + 17));
  mkdirSync(join(path, 'sub'), { recursive: true });
  writeFileSync(join(path, 'sub', 'model.bin'), Buffer.alloc(bytes));
  const when = new Date(Date.now() - ageSeconds * 1000);
  utimesSync(path, when, when);
  return path;
}

const names = () => readdirSync(dir).sort();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowgate-prune-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pruneCache', () => {
  test('keeps the entries in use and the N most recently used others', async () => {
    const v1 = entry('iris-v1', 10, 400);
    entry('iris-v2', 10, 300);
    entry('iris-v3', 10, 200);
    entry('iris-v4', 10, 100);
    const v5 = entry('iris-v5', 10, 0);
    await pruneCache(dir, [v1, v5], { keep: 2, maxBytes: null }, logger);
    expect(names()).toEqual(['iris-v1-0123456789abcdef', 'iris-v3-0123456789abcdef', 'iris-v4-0123456789abcdef', 'iris-v5-0123456789abcdef']);
  });

  test('keep 0: only what is in use stays', async () => {
    const v1 = entry('iris-v1', 10, 100);
    entry('iris-v2', 10, 0);
    await pruneCache(dir, [v1], { keep: 0, maxBytes: null }, logger);
    expect(names()).toEqual(['iris-v1-0123456789abcdef']);
  });

  test('the size cap removes the least recently used first and never an entry in use, whatever its size', async () => {
    const big = entry('big-v1', 5000, 500);
    entry('a-v1', 1000, 300);
    entry('b-v1', 1000, 200);
    entry('c-v1', 1000, 100);
    expect(await pruneCache(dir, [big], { keep: 10, maxBytes: 7000 }, logger)).toBe(7000);
    expect(names()).toEqual(['b-v1-0123456789abcdef', 'big-v1-0123456789abcdef', 'c-v1-0123456789abcdef']);
    await pruneCache(dir, [big], { keep: 10, maxBytes: 100 }, logger);
    expect(names()).toEqual(['big-v1-0123456789abcdef']);
  });

  test('leaves alone what is not a cache entry', async () => {
    mkdirSync(join(dir, 'refs'));
    mkdirSync(join(dir, '.tmp-abc123'));
    mkdirSync(join(dir, 'my-notes'));
    writeFileSync(join(dir, 'stray-0123456789abcdef'), 'a file, not an entry');
    entry('old-v1', 10, 100);
    await pruneCache(dir, [], { keep: 0, maxBytes: 0 }, logger);
    expect(names()).toEqual(['.tmp-abc123', 'my-notes', 'refs', 'stray-0123456789abcdef']);
  });
});

describe('cache limits from flags and environment', () => {
  test('--cache-keep and --cache-max-size win over FLOWGATE_CACHE_KEEP / FLOWGATE_CACHE_MAX_SIZE; sizes take units', () => {
    const base = { modelUri: 'models:/x/1' };
    expect(serveConfig(base, {})).toMatchObject({ cacheKeep: 2, cacheMaxBytes: null });
    expect(serveConfig(base, { FLOWGATE_CACHE_KEEP: '5', FLOWGATE_CACHE_MAX_SIZE: '1.5GiB' })).toMatchObject({ cacheKeep: 5, cacheMaxBytes: 1.5 * 2 ** 30 });
    expect(serveConfig({ ...base, cacheKeep: '0', cacheMaxSize: '500MB' }, { FLOWGATE_CACHE_KEEP: '5' })).toMatchObject({ cacheKeep: 0, cacheMaxBytes: 500e6 });
    expect(serveConfig({ ...base, cacheMaxSize: '1234' }, {}).cacheMaxBytes).toBe(1234);
    expect(() => serveConfig({ ...base, cacheMaxSize: 'lots' }, {})).toThrow(/cacheMaxBytes: expected a size such as 2GiB/);
    expect(() => serveConfig({ ...base, cacheKeep: '-1' }, {})).toThrow(/cacheKeep/);
  });
});
