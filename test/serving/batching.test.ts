/**
 * Adaptive batching (src/serving/batcher.ts), proven by counting model calls: concurrent
 * requests run as one call, a lone request on an idle model runs at once, a failing batch
 * is retried one request at a time (only the faulty request fails), requests with other
 * params or another shape never share a call, and a batched answer is byte-identical to the
 * unbatched one, on the PyTorch-exported ONNX MLP through the whole scorer and over HTTP.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { onnxFlavor } from '../../flavors/onnx/index.js';
import type { ModelInput, ModelOutput, Params, Tensor } from '../../src/model/data.js';
import { readMLmodel } from '../../src/model/mlmodel.js';
import { formatOutput } from '../../src/protocol/json-output.js';
import { runtimeOptions, serveConfig } from '../../src/config.js';
import { gatewayFileSchema, gatewaySpec } from '../../src/endpoints/config.js';
import { modelKey } from '../../src/endpoints/model-pool.js';
import { Metrics } from '../../src/metrics.js';
import { Batcher } from '../../src/serving/batcher.js';
import { Timeout } from '../../src/serving/deadline.js';
import { V2_CODEC, SCORING_CODECS, type ResponsePayload } from '../../src/serving/codec.js';
import { LoadedVersion } from '../../src/serving/loaded-version.js';
import { Scorer } from '../../src/serving/scorer.js';
import { ServedModel } from '../../src/serving/served-model.js';
import type { ScoringEndpoint, ScoringVariant } from '../../src/serving/scoring-endpoint.js';
import { HAVE_SHARED, MLFLOW_REAL_TF, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { quietLogger, startFlowgate } from '../helpers/server.js';

const MLP = join(MLFLOW_REAL_TF, 'models', 'onnx_torch_mlp');

function rows(n: number, seed: number, width = 64): Tensor {
  const values = Float64Array.from({ length: n * width }, (_, i) => Math.fround(Math.sin(i * 12.9898 + seed * 78.233) * 3));
  return { dtype: 'float32', shape: [n, width], values };
}

const tensorInput = (t: Tensor): ModelInput => ({ kind: 'tensor', tensor: t });

/** A model call counter around `predict`, recording every call's input. */
function counting(predict: (input: ModelInput, params: Params) => Promise<ModelOutput>) {
  const calls: { input: ModelInput; params: Params }[] = [];
  return { calls, predict: (input: ModelInput, params: Params) => (calls.push({ input, params }), predict(input, params)) };
}

const rowsOf = (input: ModelInput): number => (input.kind === 'tensor' ? input.tensor.shape[0]! : input.kind === 'frame' ? input.rows : -1);

/** An echo model: row i of the output is row i of the input times 2; it fails on a row holding -1. */
async function echo(input: ModelInput): Promise<ModelOutput> {
  await new Promise((r) => setTimeout(r, 5));
  if (input.kind !== 'tensor') throw new Error('tensor input expected');
  const values = input.tensor.values as Float64Array;
  if (values.includes(-1)) throw new Error('ValueError: -1 is not a valid input');
  return { kind: 'tensor', tensor: { ...input.tensor, values: values.map((v) => v * 2) } };
}

describe('the batcher', () => {
  test('a lone request on an idle model is called at once, even with a batch delay', () => {
    const model = counting(echo);
    const batcher = new Batcher(model.predict, { maxBatchSize: 8, maxBatchDelayMs: 10_000 });
    const done = batcher.predict(tensorInput(rows(1, 1, 2)), {});
    expect(model.calls).toHaveLength(1); // synchronously: no timer, no tick
    return done;
  });

  test('requests arriving while a batch runs are gathered into the next call, up to max_batch_size', async () => {
    const model = counting(echo);
    const batcher = new Batcher(model.predict, { maxBatchSize: 4, maxBatchDelayMs: 0 });
    const inputs = Array.from({ length: 9 }, (_, i) => rows((i % 3) + 1, i, 2));
    const outs = await Promise.all(inputs.map((t) => batcher.predict(tensorInput(t), {})));
    // 1 alone (the model was idle), then 4 + 4 waiting behind it.
    expect(model.calls.map((c) => rowsOf(c.input))).toEqual([1, 2 + 3 + 1 + 2, 3 + 1 + 2 + 3]);
    outs.forEach((out, i) => expect(out).toEqual({ kind: 'tensor', tensor: { ...inputs[i]!, values: (inputs[i]!.values as Float64Array).map((v) => v * 2) } }));
  });

  test('max_batch_delay_ms lets queued requests wait for the batch to fill', async () => {
    const model = counting(echo);
    const batcher = new Batcher(model.predict, { maxBatchSize: 4, maxBatchDelayMs: 2_000 });
    const first = batcher.predict(tensorInput(rows(1, 0, 2)), {});
    const second = batcher.predict(tensorInput(rows(1, 1, 2)), {});
    await first;
    expect(model.calls).toHaveLength(1); // the second waits for more company
    const more = [2, 3, 4].map((i) => batcher.predict(tensorInput(rows(1, i, 2)), {}));
    await Promise.all([second, ...more]);
    expect(model.calls.map((c) => rowsOf(c.input))).toEqual([1, 4]);
  });

  test('a failing batch is retried one request at a time: only the faulty request fails, with its own error', async () => {
    const model = counting(echo);
    const observed = { batches: [] as number[], queued: 0 };
    const batcher = new Batcher(model.predict, { maxBatchSize: 16, maxBatchDelayMs: 0 }, { batch: (n) => observed.batches.push(n), queued: () => observed.queued++, expired: () => undefined });
    const bad: Tensor = { dtype: 'float32', shape: [1, 2], values: Float64Array.of(0.5, -1) };
    const inputs = [rows(1, 0, 2), rows(2, 1, 2), bad, rows(1, 3, 2)];
    const results = await Promise.allSettled(inputs.map((t) => batcher.predict(tensorInput(t), {})));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((results[2] as PromiseRejectedResult).reason as Error).message).toBe('ValueError: -1 is not a valid input');
    expect(batcher.retried).toBe(1);
    // alone, the batch of 3 (failed), then each of the 3 alone
    expect(model.calls.map((c) => rowsOf(c.input))).toEqual([1, 4, 2, 1, 1]);
    expect(observed).toEqual({ batches: [1, 3], queued: 4 });
  });

  test('a request whose deadline passes while it waits is dropped unrun with a Timeout; the others still run', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started = 0;
    const model = counting(async (input) => {
      if (++started === 1) await held; // the first call runs until the test lets it end
      return echo(input);
    });
    let expired = 0;
    const batcher = new Batcher(model.predict, { maxBatchSize: 16, maxBatchDelayMs: 0 }, { batch: () => undefined, queued: () => undefined, expired: () => expired++ });
    const first = batcher.predict(tensorInput(rows(1, 0, 2)), {}); // runs at once
    const late = performance.now() + 20;
    const doomed = [batcher.predict(tensorInput(rows(1, 1, 2)), {}, late), batcher.predict(tensorInput(rows(3, 2, 2)), {}, late)];
    const kept = batcher.predict(tensorInput(rows(2, 3, 2)), {}, performance.now() + 60_000);
    await new Promise((r) => setTimeout(r, 40));
    expect(performance.now()).toBeGreaterThan(late); // the deadline passed while they waited
    release();
    const results = await Promise.allSettled([first, ...doomed, kept]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const r of results.slice(1, 3)) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(Timeout);
    // the doomed requests never reached the model: the first alone, then only the kept one
    expect(model.calls.map((c) => rowsOf(c.input))).toEqual([1, 2]);
    expect(batcher.expired).toBe(2);
    expect(expired).toBe(2);
  });

  test('the one-by-one retry of a failed batch skips requests whose deadline passed meanwhile', async () => {
    const soon = performance.now() + 1_000;
    const model = counting(async (input) => {
      const values = input.kind === 'tensor' ? (input.tensor.values as Float64Array) : null;
      // the failing batch runs past `soon`
      if (values !== null && values.includes(-1) && values.length > 2) await new Promise((r) => setTimeout(r, Math.max(0, soon - performance.now()) + 20));
      return echo(input);
    });
    const batcher = new Batcher(model.predict, { maxBatchSize: 16, maxBatchDelayMs: 0 });
    const first = batcher.predict(tensorInput(rows(1, 0, 2)), {});
    const bad: Tensor = { dtype: 'float32', shape: [1, 2], values: Float64Array.of(0.5, -1) };
    const results = await Promise.allSettled([
      first,
      batcher.predict(tensorInput(bad), {}),
      batcher.predict(tensorInput(rows(1, 2, 2)), {}, performance.now() + 60_000),
      batcher.predict(tensorInput(rows(4, 3, 2)), {}, soon),
    ]);
    expect(batcher.retried).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(Timeout);
    // alone; the batch of 3 (6 rows, failed); retried: the bad one, the kept one; the late one never again
    expect(model.calls.map((c) => rowsOf(c.input))).toEqual([1, 6, 1, 1]);
    expect(batcher.expired).toBe(1);
  });

  test('requests with other params or another non-batch shape or dtype never share a call', async () => {
    const model = counting(echo);
    const batcher = new Batcher(model.predict, { maxBatchSize: 64, maxBatchDelayMs: 0 });
    const requests: [Tensor, Params][] = [
      [rows(1, 0, 2), {}],
      [rows(1, 1, 2), { k: 1 }],
      [rows(1, 2, 3), {}],
      [rows(1, 3, 2), { k: 1 }],
      [rows(1, 4, 2), {}],
      [{ ...rows(1, 5, 2), dtype: 'float64' }, {}],
      [rows(1, 6, 3), {}],
    ];
    await Promise.all(requests.map(([t, p]) => batcher.predict(tensorInput(t), p)));
    const layouts = model.calls.map((c) => `${c.input.kind === 'tensor' ? `${c.input.tensor.dtype}:${c.input.tensor.shape.join('x')}` : '?'} ${JSON.stringify(c.params)}`);
    expect(layouts).toEqual(['float32:1x2 {}', 'float32:2x2 {"k":1}', 'float32:2x3 {}', 'float32:1x2 {}', 'float64:1x2 {}']);
  });
});

describe.skipIf(!HAVE_SHARED)('batching on the PyTorch-exported ONNX MLP', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

  test('64 concurrent requests: far fewer model calls, each output exactly the unbatched one', async () => {
    const model = await onnxFlavor.load(MLP, await readMLmodel(MLP), { logger: quietLogger });
    expect(model.batchable).toBe(true);
    const inputs = Array.from({ length: 64 }, (_, i) => rows((i % 4) + 1, i));
    const alone: string[] = [];
    for (const t of inputs) alone.push(formatOutput(await model.predict(tensorInput(t), {})));
    const counted = counting((input, params) => model.predict(input, params));
    const batcher = new Batcher(counted.predict, { maxBatchSize: 64, maxBatchDelayMs: 0 });
    const together = await Promise.all(inputs.map((t) => batcher.predict(tensorInput(t), {})));
    expect(counted.calls).toHaveLength(2); // the first alone, the 63 others in one session.run
    expect(together.map(formatOutput)).toEqual(alone);
    await model.dispose();
  });

  test('through the scorer: responses are byte-identical to unbatched ones; flowgate_batch_size and flowgate_batch_queue_seconds count the batches', async () => {
    const identity = { name: 'mlp', version: '1', uri: MLP, localPath: MLP };
    const metrics = new Metrics();
    const batched = await LoadedVersion.load(identity, quietLogger, null, { batching: { maxBatchSize: 64, maxBatchDelayMs: 0 } }, metrics);
    const unbatched = await LoadedVersion.load(identity, quietLogger, null, { batching: { maxBatchSize: 1, maxBatchDelayMs: 0 } });
    expect(batched.batcher).not.toBeNull();
    expect(unbatched.batcher).toBeNull();
    const scorerFor = async (version: LoadedVersion) => {
      const served = new ServedModel('mlp');
      await served.swap(version);
      const variant: ScoringVariant = { name: 'default', model: { served }, labels: { endpoint: 'mlp', variant: 'default' } };
      const endpoint: ScoringEndpoint = { name: 'mlp', stickyPath: null, shadows: [], route: () => variant, pinnedVariant: () => variant, remembersPredictions: false, observed: () => undefined, observedShadow: () => undefined, answered: () => undefined };
      const scorer = new Scorer({ metrics: new Metrics(), logger: quietLogger, timeoutSeconds: 30, maxQueue: 256 });
      return { served, score: (codec: typeof V2_CODEC | (typeof SCORING_CODECS)['json'], body: string) => scorer.score({ endpoint, codec: codec as never, body, header: () => undefined, requestId: 'r' }) };
    };
    const toNested = (t: Tensor): number[][] => Array.from({ length: t.shape[0]! }, (_, r) => Array.from((t.values as Float64Array).subarray(r * 64, (r + 1) * 64)));
    const bodies = Array.from({ length: 48 }, (_, i) => {
      const t = rows((i % 3) + 1, 100 + i);
      return i % 2 === 0
        ? { codec: SCORING_CODECS.json, body: JSON.stringify({ inputs: toNested(t) }) }
        : { codec: V2_CODEC, body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: t.shape, data: Array.from(t.values as Float64Array) }] }) };
    });
    const plain = await scorerFor(unbatched);
    const expected: ResponsePayload[] = [];
    for (const b of bodies) {
      const out = await plain.score(b.codec, b.body);
      expect(out.ok).toBe(true);
      expected.push(out.ok && typeof out.body === 'string' ? out.body : '');
    }
    const busy = await scorerFor(batched);
    const outcomes = await Promise.all(bodies.map((b) => busy.score(b.codec, b.body)));
    expect(outcomes.map((o) => (o.ok ? o.body : o.error.message))).toEqual(expected);
    const sizes = await metrics.registry.getSingleMetricAsString('flowgate_batch_size');
    const count = Number(/flowgate_batch_size_count\{model="mlp"\} (\d+)/.exec(sizes)?.[1]);
    const sum = Number(/flowgate_batch_size_sum\{model="mlp"\} (\d+)/.exec(sizes)?.[1]);
    expect(sum).toBe(48); // every request ran in some batch
    expect(count).toBeLessThan(48 / 4); // ... and in far fewer calls than requests
    expect(await metrics.registry.getSingleMetricAsString('flowgate_batch_queue_seconds')).toMatch(/flowgate_batch_queue_seconds_count\{model="mlp"\} 48/);
    await plain.served.close();
    await busy.served.close();
  });
});

describe.skipIf(!HAVE_SHARED)('deadlines of batched requests through the scorer', () => {
  test('requests whose -t deadline passes while queued behind a slow batch answer 504 and never reach the model', async () => {
    const identity = { name: 'mlp', version: '1', uri: MLP, localPath: MLP };
    const metrics = new Metrics();
    const version = await LoadedVersion.load(identity, quietLogger, null, { batching: { maxBatchSize: 64, maxBatchDelayMs: 0 } }, metrics);
    const batcher = version.batcher!;
    // The model's first call is slow (400 ms): everything behind it waits past the 200 ms deadline.
    const inner = (batcher as unknown as { predictOne: (i: ModelInput, p: Params) => Promise<ModelOutput> }).predictOne;
    const calls: number[] = [];
    (batcher as unknown as { predictOne: typeof inner }).predictOne = async (input, params) => {
      calls.push(input.kind === 'tensors' ? Object.values(input.tensors)[0]!.shape[0]! : rowsOf(input));
      if (calls.length === 1) await new Promise((r) => setTimeout(r, 400));
      return inner(input, params);
    };
    const served = new ServedModel('mlp');
    await served.swap(version);
    const variant: ScoringVariant = { name: 'default', model: { served }, labels: { endpoint: 'mlp', variant: 'default' } };
    const endpoint: ScoringEndpoint = { name: 'mlp', stickyPath: null, shadows: [], route: () => variant, pinnedVariant: () => variant, remembersPredictions: false, observed: () => undefined, observedShadow: () => undefined, answered: () => undefined };
    const scorer = new Scorer({ metrics, logger: quietLogger, timeoutSeconds: 0.2, maxQueue: 256 });
    const body = (i: number) => JSON.stringify({ inputs: Array.from({ length: 1 }, () => Array.from(rows(1, i).values as Float64Array)) });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => scorer.score({ endpoint, codec: SCORING_CODECS.json as never, body: body(i), header: () => undefined, requestId: `r${i}` })));
    expect(outcomes.map((o) => (o.ok ? 200 : o.error.status))).toEqual([504, 504, 504, 504, 504, 504]);
    await new Promise((r) => setTimeout(r, 450)); // the slow call ends; the batcher looks at its queue again
    expect(calls).toEqual([1]); // only the first request ever reached the model
    expect(batcher.expired).toBe(5);
    expect(await metrics.registry.getSingleMetricAsString('flowgate_batch_expired_total')).toMatch(/flowgate_batch_expired_total\{model="mlp"\} 5/);
    // ... and the model serves the next request normally
    const after = await scorer.score({ endpoint, codec: SCORING_CODECS.json as never, body: body(9), header: () => undefined, requestId: 'after' });
    expect(after.ok).toBe(true);
    expect(calls).toEqual([1, 1]);
    await served.close();
  });
});

describe('batching settings in flowgate.yaml', () => {
  test('max_batch_size / max_batch_delay_ms per endpoint, overridden per variant; a variant with its own settings gets its own model', () => {
    const file = gatewayFileSchema.parse({
      endpoints: {
        mlp: {
          max_batch_size: 32,
          variants: [
            { name: 'a', model: 'models:/mlp/1' },
            { name: 'b', model: 'models:/mlp/1', max_batch_size: 1 },
            { name: 'c', model: 'models:/mlp/1', max_batch_delay_ms: 2.5 },
          ],
        },
        plain: { variants: [{ model: 'models:/mlp/1' }] },
      },
      default_endpoint: 'mlp',
    });
    const spec = gatewaySpec(file, () => []);
    const [mlp, plain] = spec.endpoints;
    expect(mlp!.variants.map((v) => v.batching)).toEqual([{ maxBatchSize: 32 }, { maxBatchSize: 1 }, { maxBatchSize: 32, maxBatchDelayMs: 2.5 }]);
    expect(plain!.variants[0]!.batching).toBeUndefined();
    const keys = new Set([...mlp!.variants, ...plain!.variants].map(modelKey));
    expect(keys.size).toBe(4);
  });

  test('bad values are refused with the key named', () => {
    const bad = gatewayFileSchema.safeParse({ endpoints: { e: { variants: [{ model: 'models:/m/1', max_batch_size: 0, max_batch_delay_ms: -1 }] } } });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(['endpoints.e.variants.0.max_batch_size: must be >= 1 (1 turns batching off)', 'endpoints.e.variants.0.max_batch_delay_ms: must be >= 0']);
  });

  test('serve flags and their environment variables', () => {
    const base = { modelUri: 'models:/m/1' };
    expect(runtimeOptions(serveConfig(base, {})).batching).toEqual({ maxBatchSize: 64, maxBatchDelayMs: 0 });
    expect(runtimeOptions(serveConfig({ ...base, maxBatchSize: '8' }, { FLOWGATE_MAX_BATCH_DELAY_MS: '3' })).batching).toEqual({ maxBatchSize: 8, maxBatchDelayMs: 3 });
    expect(() => serveConfig({ ...base, maxBatchSize: '0' }, {})).toThrow(/maxBatchSize/);
  });
});

describe.skipIf(!HAVE_SHARED)('batching over HTTP (flowgate serve --max-batch-size)', () => {
  test('concurrent /invocations answer exactly what an unbatched server answers, in fewer model calls', async () => {
    const batched = await startFlowgate(MLP, { maxBatchSize: '64', workers: '0' });
    const unbatched = await startFlowgate(MLP, { maxBatchSize: '1', workers: '0' });
    try {
      await Promise.all([batched.ready, unbatched.ready]);
      const bodies = Array.from({ length: 32 }, (_, i) => {
        const t = rows((i % 2) + 1, 500 + i);
        return JSON.stringify({ inputs: Array.from({ length: t.shape[0]! }, (_, r) => Array.from((t.values as Float64Array).subarray(r * 64, (r + 1) * 64))) });
      });
      const post = async (url: string, body: string) => {
        const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return `${res.status} ${await res.text()}`;
      };
      const expected: string[] = [];
      for (const b of bodies) expected.push(await post(unbatched.url, b));
      expect(expected.every((e) => e.startsWith('200 {"predictions": {"logits": [['))).toBe(true);
      // From another process: a client in this one would take turns with the server on one event loop.
      const client = `const [url, bodies] = JSON.parse(process.argv[1]);
        const answers = await Promise.all(bodies.map(async (body) => {
          const res = await fetch(url + '/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          return res.status + ' ' + (await res.text());
        }));
        process.stdout.write(JSON.stringify(answers));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', client, JSON.stringify([batched.url, bodies])], { maxBuffer: 1 << 24 });
      expect(JSON.parse(stdout)).toEqual(expected);
      const metrics = await (await fetch(`${batched.url}/metrics`)).text();
      const count = Number(/flowgate_batch_size_count\{model="onnx_torch_mlp"\} (\d+)/.exec(metrics)?.[1]);
      const sum = Number(/flowgate_batch_size_sum\{model="onnx_torch_mlp"\} (\d+)/.exec(metrics)?.[1]);
      expect(sum).toBe(32 + 1); // the 32 requests and the warm-up with the input example
      expect(count).toBeLessThan(sum / 2); // in far fewer model calls (a loaded machine spreads the arrivals)
      expect(await (await fetch(`${unbatched.url}/metrics`)).text()).not.toMatch(/flowgate_batch_size_count\{/);
    } finally {
      await batched.close();
      await unbatched.close();
    }
  });
});
