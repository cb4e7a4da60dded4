/**
 * Loading a version never holds the serving event loop: a large MLmodel file is parsed on a
 * thread of its own (same MLmodel, same errors as inline), and a large version of a CPU-bound
 * flavor served with replica threads is loaded by the threads only (its requests all run
 * there), a broken one fails there. Proved by the main thread's CPU time during the load
 * against the whole process's, not by wall-clock (the machine running the tests is shared).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, test } from 'vitest';
import { parseMLmodel, readMLmodel } from '../../src/model/mlmodel.js';
import { runPipeline, SCORING_CODECS } from '../../src/serving/codec.js';
import { LoadedVersion } from '../../src/serving/loaded-version.js';
import { ReplicaPool } from '../../src/serving/replicas.js';
import { HAVE_SHARED, MLFLOW_REAL, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { cpuSince, HAVE_THREAD_CPU, NO_THREAD_CPU_MESSAGE } from '../helpers/thread-cpu.js';

const RF = join(MLFLOW_REAL, 'models', 'sk_iris_rf');
const logger = pino({ level: 'silent' });
const dirs: string[] = [];

/** A copy of sk_iris_rf whose MLmodel carries `keys` metadata entries (~50 bytes each): the YAML parser takes about a second on 8,000. */
function rfWithLargeMLmodel(keys: number, tail = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-large-mlmodel-'));
  dirs.push(dir);
  cpSync(RF, dir, { recursive: true });
  const metadata = Array.from({ length: keys }, (_, i) => `  key_${i}: value number ${i} of the metadata block\n`).join('');
  writeFileSync(join(dir, 'MLmodel'), `${readFileSync(join(RF, 'MLmodel'), 'utf8')}metadata:\n${metadata}${tail}`);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_SHARED || !HAVE_THREAD_CPU)('loads off the event loop', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
  if (!HAVE_THREAD_CPU) console.warn(NO_THREAD_CPU_MESSAGE);

  test('a 400 KB MLmodel is parsed on another thread: the same MLmodel as inline, the main thread barely busy', async () => {
    const dir = rfWithLargeMLmodel(8_000);
    const text = readFileSync(join(dir, 'MLmodel'), 'utf8');
    const spent = cpuSince();
    const mlmodel = await readMLmodel(dir);
    const { processMs, mainThreadMs } = spent();
    console.log(`MLmodel of ${text.length} bytes: process CPU ${processMs.toFixed(0)} ms, main thread ${mainThreadMs.toFixed(0)} ms`);
    expect(processMs).toBeGreaterThan(200); // the parse ran (seconds of YAML)...
    expect(mainThreadMs).toBeLessThan(processMs * 0.25); // ...elsewhere
    expect(mlmodel).toEqual(parseMLmodel(text, join(dir, 'MLmodel')));
    expect(Object.keys(mlmodel.metadata!)).toHaveLength(8_000);
  }, 60_000);

  test('a broken large MLmodel fails on its thread with the error inline parsing gives', async () => {
    const dir = rfWithLargeMLmodel(1_000, 'flavors: [unclosed\n');
    const where = join(dir, 'MLmodel');
    let inline: Error | null = null;
    try {
      parseMLmodel(readFileSync(where, 'utf8'), where);
    } catch (err) {
      inline = err as Error;
    }
    expect(inline).not.toBeNull();
    await expect(readMLmodel(dir)).rejects.toThrow(inline!.message);
    await expect(readMLmodel(dir)).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
  }, 60_000);

  test('with replica threads, a large version loads in the threads only and answers from there; a broken one fails there', async () => {
    const pool = new ReplicaPool(1, logger);
    try {
      // small (sk_iris_rf, 23 KB): the main thread holds a copy too
      const small = await LoadedVersion.load({ name: 'rf', version: '1', uri: RF, localPath: RF }, logger, pool);
      expect([small.offloads, small.inline]).toEqual([true, true]);
      // large: only the threads load it; the main thread parses nothing and loads nothing
      const dir = rfWithLargeMLmodel(8_000);
      const spent = cpuSince();
      const large = await LoadedVersion.load({ name: 'rf', version: '2', uri: dir, localPath: dir }, logger, pool);
      const { processMs, mainThreadMs } = spent();
      console.log(`large version load: process CPU ${processMs.toFixed(0)} ms, main thread ${mainThreadMs.toFixed(0)} ms`);
      expect([large.offloads, large.inline]).toEqual([true, false]);
      expect(mainThreadMs).toBeLessThan(processMs * 0.25);
      // it answers (on the thread) what the main thread's copy of the same model answers
      const body = JSON.stringify({ dataframe_split: { columns: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'], data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] } });
      const codec = SCORING_CODECS.json;
      const onThread = await large.offload('json', { bytes: new TextEncoder().encode(body) }, 'rf', false).done;
      const inline = await runPipeline(codec, codec.parse(body, false), small, 'rf', false);
      expect(onThread.body).toBe(inline.body);
      await expect(large.predict({ kind: 'tensors', tensors: {} }, null)).rejects.toThrow(/replicas only/);
      // broken: a truncated pickle among large files fails in the thread, and is not retried on the main thread
      const broken = rfWithLargeMLmodel(2_000);
      writeFileSync(join(broken, 'model.pkl'), readFileSync(join(RF, 'model.pkl')).subarray(0, 3000));
      await expect(LoadedVersion.load({ name: 'rf', version: '3', uri: broken, localPath: broken }, logger, pool)).rejects.toThrow(/pickle is truncated/);
      await Promise.all([small.retire(), large.retire()]);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
