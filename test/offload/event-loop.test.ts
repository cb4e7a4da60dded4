/**
 * The event loop stays free while a large request computes on a replica thread: the body is
 * read as bytes (copied chunk by chunk into its buffer and shape-checked a chunk at a time as
 * it arrives), the buffer is transferred to the thread (not copied: detached here), decoded
 * there, and a large answer comes back as transferred bytes. Proved by mechanism, not by
 * wall-clock (the machine running the tests is shared): during a 200,000-row request on a
 * RandomForest and on an XGBoost model, sent by another process, the main thread's CPU time
 * is a small share of the request's, and the thread's buffer is detached on sending.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { ReplicaPool } from '../../src/serving/replicas.js';
import { HAVE_SHARED, MLFLOW_REAL, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';
import { IRIS_COLUMNS, postIrisFromChild } from '../helpers/child-client.js';
import { cpuSince, HAVE_THREAD_CPU, NO_THREAD_CPU_MESSAGE, type CpuSpent } from '../helpers/thread-cpu.js';

function irisJson(rows: number): string {
  const data = Array.from({ length: rows }, (_, i) => [4.5 + (i % 35) / 10, 2 + (i % 20) / 10, 1 + (i % 59) / 10, 0.1 + (i % 24) / 10]);
  return JSON.stringify({ dataframe_split: { columns: IRIS_COLUMNS, data } });
}

interface Measure extends CpuSpent {
  /** the main thread's event-loop delay, in ms */
  maxDelayMs: number;
  p99DelayMs: number;
}
function measure(): () => Measure {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const spent = cpuSince();
  return () => {
    histogram.disable();
    return { ...spent(), maxDelayMs: histogram.max / 1e6, p99DelayMs: histogram.percentile(99) / 1e6 };
  };
}

describe.skipIf(!HAVE_SHARED || !HAVE_THREAD_CPU)('the main thread stays free during a 200,000-row request', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
  if (!HAVE_THREAD_CPU) console.warn(NO_THREAD_CPU_MESSAGE);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const model of ['sk_iris_rf', 'xgb_iris_classifier']) {
    test(`${model}, -w 1: the main thread spends a small share of the request's CPU time`, async () => {
      server = await startFlowgate(join(MLFLOW_REAL, 'models', model), { workers: '1' });
      let stop: (() => Measure) | null = null;
      const answer = await postIrisFromChild(`${server.url}/invocations`, 200_000, () => (stop = measure()));
      const m = stop!();
      console.log(
        `${model}: process CPU ${m.processMs.toFixed(0)} ms, main thread CPU ${m.mainThreadMs.toFixed(0)} ms; main event-loop delay max ${m.maxDelayMs.toFixed(1)} ms, p99 ${m.p99DelayMs.toFixed(1)} ms`,
      );
      expect(answer).toEqual({ status: 200, predictions: 200_000, text: '' });
      // Parsing, decoding, predicting and encoding 200,000 rows run on the replica thread;
      // the main thread only reads the body's bytes and writes the answer's.
      expect(m.processMs).toBeGreaterThan(200);
      expect(m.mainThreadMs).toBeLessThan(m.processMs * 0.2);
    }, 120_000);
  }
});

describe.skipIf(!HAVE_SHARED)('a body crosses to a replica thread by transfer', () => {
  test('the body\'s buffer is detached on sending (moved, not copied); a large answer comes back as bytes', async () => {
    const pool = new ReplicaPool(1, pino({ level: 'silent' }));
    try {
      const localPath = join(MLFLOW_REAL, 'models', 'sk_iris_rf');
      const key = await pool.load({ name: 'sk_iris_rf', version: null, uri: localPath, localPath });
      const body = new TextEncoder().encode(irisJson(5_000));
      const size = body.byteLength;
      expect(size).toBeGreaterThan(100_000);
      const job = pool.score(key, 'json', { bytes: body }, 'default', false);
      expect(body.buffer.byteLength).toBe(0); // detached: the thread owns the bytes now
      expect(body.byteLength).toBe(0);
      const result = await job.done;
      const answered = result.body as { bytes: Uint8Array; headerLength?: number };
      expect(answered.bytes).toBeInstanceOf(Uint8Array);
      expect(answered.headerLength).toBeUndefined(); // JSON bytes, not binary tensor data
      const answer = JSON.parse(Buffer.from(answered.bytes).toString('utf8')) as { predictions: unknown[] };
      expect(answer.predictions).toHaveLength(5_000);
      // a small answer stays text
      const small = await pool.score(key, 'json', { bytes: new TextEncoder().encode(irisJson(3)) }, 'default', false).done;
      expect(typeof small.body).toBe('string');
    } finally {
      await pool.close();
    }
  }, 60_000);
});
