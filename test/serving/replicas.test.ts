/**
 * Replica threads (-w N): a large request on a CPU-bound model (MLflow's RandomForest)
 * runs off the event loop, so /ping keeps answering while it computes; `-t` answers 504 in
 * time and abandons the compute (no CPU left burning); replicas answer exactly what the
 * main thread answers. Bounds are generous: the machine running the tests is shared.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { HAVE_SHARED, MLFLOW_REAL, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startFlowgate } from '../helpers/server.js';

const RF = join(MLFLOW_REAL, 'models', 'sk_iris_rf');
const COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];

function rfBody(rows: number): string {
  const data = Array.from({ length: rows }, (_, i) => [4.5 + (i % 35) / 10, 2 + (i % 20) / 10, 1 + (i % 59) / 10, 0.1 + (i % 24) / 10]);
  return JSON.stringify({ dataframe_split: { columns: COLUMNS, data } });
}

async function post(server: RunningServer, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

/** Pings /ping back to back (20 ms apart) until `until` settles; the latencies, sorted. */
async function pingWhile(server: RunningServer, until: Promise<unknown>): Promise<number[]> {
  let running = true;
  void until.finally(() => (running = false));
  const latencies: number[] = [];
  while (running) {
    const t = performance.now();
    await (await fetch(`${server.url}/ping`)).text();
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  return latencies.sort((a, b) => a - b);
}

describe.skipIf(!HAVE_SHARED)('replica threads on a RandomForest', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('-w 2: /ping keeps answering while a 200k-row request computes, and the answer is the main thread\'s', async () => {
    server = await startFlowgate(RF, { workers: '2' });
    const body = rfBody(200_000);
    const heavy = post(server, body);
    const pings = await pingWhile(server, heavy);
    const answer = await heavy;
    expect(answer.status).toBe(200);
    // The request takes seconds; pings are answered all along (with -w 0 a single ping waits for all of it).
    expect(pings.length).toBeGreaterThanOrEqual(10);
    expect(pings[Math.floor(pings.length / 2)]!).toBeLessThan(100);
    // the replica's answer is the one the main thread gives (a small body is scored inline)
    const small = rfBody(200);
    const inline = await post(server, small);
    expect(JSON.parse(answer.text).predictions.slice(0, 200)).toEqual(JSON.parse(inline.text).predictions);
    // a request's fault on a replica thread is the same MLflow 400 as inline, not a 500
    const missing = (rows: number) => rfBody(rows).replace('"petal width (cm)"', '"petal_width"');
    const [big, smallBad] = [await post(server, missing(20_000)), await post(server, missing(10))];
    expect([big.status, smallBad.status]).toEqual([400, 400]);
    const [bigError, smallError] = [JSON.parse(big.text), JSON.parse(smallBad.text)];
    expect(bigError.error_code).toBe(smallError.error_code);
    expect(bigError.message.replace(/data '[^]*?' with schema/, '')).toBe(smallError.message.replace(/data '[^]*?' with schema/, ''));
  }, 120_000);

  test('-t 0.5: a 200k-row request is a 504 within timeout + 0.5 s, and its compute is abandoned', async () => {
    server = await startFlowgate(RF, { workers: '1', timeout: '0.5' });
    const started = performance.now();
    const answer = await post(server, rfBody(200_000));
    const seconds = (performance.now() - started) / 1000;
    expect(answer.status).toBe(504);
    expect(answer.text).toBe('Request processing time exceeded limit');
    // On the server's clock (from the body read to the answer: the client's upload of 4 MB on a
    // loaded machine is not the server's), the 504 comes within timeout + 0.5 s.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const served = Number(/flowgate_endpoint_request_duration_seconds_sum\{[^}]*\} (\S+)/.exec(metrics)?.[1]);
    expect(served).toBeGreaterThanOrEqual(0.5);
    expect(served).toBeLessThan(0.5 + 0.5);
    expect(seconds).toBeLessThan(10); // and well before the seconds the prediction itself takes
    // No CPU burns on after the answer: once the replacement thread has loaded its replica, the
    // process (every thread) uses well under a core over the next 2 s, where the abandoned
    // prediction (several seconds of one core) would use about 2 CPU-seconds.
    await new Promise((r) => setTimeout(r, 1500));
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 2000));
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1e6).toBeLessThan(1);
    // the recycled thread serves again
    const after = await post(server, rfBody(20_000));
    expect(after.status === 200 || after.status === 504).toBe(true);
    const small = await post(server, rfBody(10));
    expect(small.status).toBe(200);
  }, 120_000);

  test('--max-queue 1: past the bound, 503 in MLflow\'s shape with Retry-After, counted; the queue empties after', async () => {
    server = await startFlowgate(RF, { workers: '1', maxQueue: '1' });
    const body = rfBody(20_000);
    const answers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const res = await fetch(`${server!.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), json: await res.json() };
      }),
    );
    const refused = answers.filter((a) => a.status === 503);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const a of refused) {
      expect(a.retryAfter).toBe('1');
      expect(a.json).toEqual({ error_code: 'TEMPORARILY_UNAVAILABLE', message: expect.stringMatching(/queue's bound \(--max-queue\)/) });
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/flowgate_queue_full_total\{[^}]*\} (\d+)/.exec(metrics)?.[1])).toBe(refused.length);
    expect((await post(server, rfBody(10))).status).toBe(200);
  }, 120_000);
});
