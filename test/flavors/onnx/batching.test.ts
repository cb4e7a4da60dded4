/**
 * Concurrent requests to an ONNX model are batched into shared onnxruntime runs; every
 * caller still gets exactly its own rows, and a request that cannot run fails alone.
 */
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { onnxFlavor } from '../../../flavors/onnx/index.js';
import type { ModelOutput, Tensor } from '../../../src/model/data.js';
import { readMLmodel } from '../../../src/model/mlmodel.js';
import { HAVE_SHARED, MLFLOW_REAL } from '../../helpers/fixtures.js';

const DIR = join(MLFLOW_REAL, 'models', 'onnx_iris_softmax');
const logger = pino({ level: 'silent' });

function rows(n: number, seed: number): Tensor {
  const values = Float64Array.from({ length: n * 4 }, (_, i) => Math.fround(((i * 7919 + seed * 104729) % 70) / 10));
  return { dtype: 'float32', shape: [n, 4], values };
}

function labels(out: ModelOutput): number[] {
  if (out.kind !== 'tensors') throw new Error('expected a dict of tensors');
  return Array.from(out.tensors.label!.values as Float64Array);
}

describe.skipIf(!HAVE_SHARED)('ONNX adaptive batching', () => {
  test('64 concurrent requests of 1–5 rows get the same answers as one at a time', async () => {
    const model = await onnxFlavor.load(DIR, await readMLmodel(DIR), { logger });
    const inputs = Array.from({ length: 64 }, (_, i) => rows((i % 5) + 1, i));
    const alone: ModelOutput[] = [];
    for (const t of inputs) alone.push(await model.predict({ kind: 'tensor', tensor: t }, {}));
    const together = await Promise.all(inputs.map((t) => model.predict({ kind: 'tensor', tensor: t }, {})));
    together.forEach((out, i) => {
      expect(labels(out)).toEqual(labels(alone[i]!));
      if (out.kind === 'tensors' && alone[i]!.kind === 'tensors') {
        const a = alone[i] as { tensors: Record<string, Tensor> };
        expect(out.tensors.probabilities!.shape).toEqual([(i % 5) + 1, 3]);
        expect(Array.from(out.tensors.probabilities!.values as Float64Array)).toEqual(Array.from(a.tensors.probabilities!.values as Float64Array));
      }
    });
    await model.dispose();
  });

  test('a malformed request among good ones fails alone', async () => {
    const model = await onnxFlavor.load(DIR, await readMLmodel(DIR), { logger });
    const good = Array.from({ length: 8 }, (_, i) => model.predict({ kind: 'tensor', tensor: rows(2, i) }, {}));
    const bad = model.predict({ kind: 'tensor', tensor: { dtype: 'float32', shape: [2, 3], values: new Float64Array(6) } }, {});
    const results = await Promise.allSettled([...good, bad]);
    expect(results.slice(0, 8).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[8]!.status).toBe('rejected');
    await model.dispose();
  });
});
