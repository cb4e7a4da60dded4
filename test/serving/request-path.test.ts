/**
 * The request path's contracts: leases hold a version until its work ends, the endpoint is
 * looked up after the body is read (a reload during a slow upload is not a 503), our own
 * bugs are 500 INTERNAL_ERROR counted apart from the clients' faults, and no input shape
 * reaches a stack or argument-count limit (deep nesting is a 400, 130k unnamed split rows a
 * 200), and a client that leaves mid-body is counted as client_closed, not as an error.
 */
import { request as httpRequest } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { SCORING_CODECS, type Codec } from '../../src/serving/codec.js';
import { LoadedVersion } from '../../src/serving/loaded-version.js';
import { Scorer } from '../../src/serving/scorer.js';
import { ServedModel } from '../../src/serving/served-model.js';
import type { ScoringEndpoint, ScoringVariant } from '../../src/serving/scoring-endpoint.js';
import { copyExampleRegistry, versionDir } from '../helpers/registry.js';
import { quietLogger } from '../helpers/server.js';
import { metric, startGateway, type GatewayUnderTest } from '../routing/helpers.js';

const IRIS = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });

async function post(url: string, path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

describe('leases and the scorer', () => {
  let root: string;
  let version: LoadedVersion;
  beforeAll(async () => {
    root = copyExampleRegistry();
    const localPath = versionDir(root, 'iris', 1);
    version = await LoadedVersion.load({ name: 'iris', version: '1', uri: 'models:/iris/1', localPath }, quietLogger);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function endpointServing(served: ServedModel): ScoringEndpoint {
    const variant: ScoringVariant = { name: 'default', model: { served }, labels: { endpoint: 'e', variant: 'default' } };
    return { name: 'e', stickyPath: null, shadows: [], route: () => variant, pinnedVariant: () => variant, remembersPredictions: false, observed: () => undefined, observedShadow: () => undefined, answered: () => undefined };
  }

  test('a retired version is disposed only once its last lease is released', async () => {
    const served = new ServedModel('iris');
    const other = await LoadedVersion.load({ ...version.identity, uri: 'other' }, quietLogger);
    await served.swap(other);
    const lease = served.acquire()!;
    expect(lease.version).toBe(other);
    let disposed = false;
    const closing = served.close().then(() => (disposed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(disposed).toBe(false);
    expect(served.acquire()).toBeNull();
    lease.release();
    lease.release(); // a second release is harmless
    await closing;
    expect(disposed).toBe(true);
    expect(() => other.lease()).toThrow(/retired/);
  });

  test('a bug of ours is a 500 INTERNAL_ERROR, logged with its stack and counted apart; the lease is released', async () => {
    const served = new ServedModel('iris');
    await served.swap(version);
    const logged: unknown[] = [];
    const logger = { ...quietLogger, error: (obj: unknown) => logged.push(obj), info: () => undefined } as unknown as typeof quietLogger;
    const metrics = new Metrics();
    const scorer = new Scorer({ metrics, logger, timeoutSeconds: 5, maxQueue: 8 });
    const buggy: Codec<string> = {
      ...(SCORING_CODECS.json as unknown as Codec<string>),
      parse: (body) => body as string,
      routingDoc: () => undefined,
      decode: () => (undefined as unknown as { input: never }).input, // a TypeError, as a bug would
    };
    const outcome = await scorer.score({ endpoint: endpointServing(served), codec: buggy, body: IRIS, header: () => undefined, requestId: 'r1' });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect([outcome.error.errorCode, outcome.error.status]).toEqual(['INTERNAL_ERROR', 500]);
    expect(logged).toHaveLength(1);
    expect(String((logged[0] as { err: Error }).err.stack)).toMatch(/TypeError/);
    expect(await metrics.registry.getSingleMetricAsString('flowgate_internal_errors_total')).toMatch(/flowgate_internal_errors_total 1/);
    // the client's fault stays a 400 and is not counted as ours
    const bad = await scorer.score({ endpoint: endpointServing(served), codec: SCORING_CODECS.json, body: '{"inputs": [[1, 2], [3]]}', header: () => undefined, requestId: 'r2' });
    expect(bad.ok ? 200 : bad.error.status).toBe(400);
    expect(await metrics.registry.getSingleMetricAsString('flowgate_internal_errors_total')).toMatch(/flowgate_internal_errors_total 1/);
    // every lease was released: closing disposes at once
    await served.close();
  });

  test('flowgate_queue_depth counts the requests in the bounded queue per endpoint and variant; at --max-queue the next is a 503', async () => {
    const held = await LoadedVersion.load({ ...version.identity, uri: 'held' }, quietLogger);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const predict = held.predict.bind(held);
    held.predict = async (input, params) => (await gate, predict(input, params));
    const served = new ServedModel('iris');
    await served.swap(held);
    const metrics = new Metrics();
    const scorer = new Scorer({ metrics, logger: quietLogger, timeoutSeconds: 30, maxQueue: 3 });
    const score = (id: string) => scorer.score({ endpoint: endpointServing(served), codec: SCORING_CODECS.json, body: IRIS, header: () => undefined, requestId: id });
    const depth = async () => Number(/^flowgate_queue_depth\{endpoint="e",variant="default",model="iris"\} (\d+)$/m.exec(await metrics.registry.getSingleMetricAsString('flowgate_queue_depth'))?.[1]);
    const waiting = [score('a'), score('b'), score('c')];
    await new Promise((r) => setTimeout(r, 20));
    expect(await depth()).toBe(3);
    const refused = await score('d');
    expect(refused.ok ? 200 : [refused.error.status, refused.error.errorCode]).toEqual([503, 'TEMPORARILY_UNAVAILABLE']);
    expect(await metrics.registry.getSingleMetricAsString('flowgate_queue_full_total')).toMatch(/flowgate_queue_full_total\{model="iris"\} 1/);
    expect(await depth()).toBe(3); // the refused request never entered the queue
    open();
    expect((await Promise.all(waiting)).map((o) => o.ok)).toEqual([true, true, true]);
    expect(await depth()).toBe(0);
    await served.close();
  });
});

describe('over HTTP', () => {
  let root: string;
  let gw: GatewayUnderTest;
  let url: string;
  const config = (model: string) => `endpoints:\n  iris:\n    variants: [ { model: "${model}" } ]\n`;
  beforeAll(async () => {
    root = copyExampleRegistry();
    gw = await startGateway(config('models:/iris/1'), { trackingUri: root });
    url = gw.server.url;
  });
  afterAll(async () => {
    await gw?.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a config reload during a slow upload: the request is answered by the endpoint served when its body ends', async () => {
    const { port } = new URL(url);
    const answer = new Promise<{ status: number; version: string | undefined }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/invocations', method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, version: res.headers['x-flowgate-version'] as string | undefined }));
      });
      req.on('error', reject);
      req.write(IRIS.slice(0, 10));
      setTimeout(async () => {
        writeFileSync(gw.file, config('models:/iris/2'));
        const result = await gw.server.reload();
        expect(result.outcome).toBe('applied');
        req.end(IRIS.slice(10));
      }, 100);
    });
    expect(await answer).toEqual({ status: 200, version: '2' });
  });

  test('dataframe_split without columns and 130k rows reaches schema enforcement (no argument-count limit)', async () => {
    // The example model takes one tensor named "input": an unnamed frame is MLflow's 400
    // naming the missing input, which only enforcement of the whole decoded frame can say.
    const rows = Array.from({ length: 130_000 }, () => [5.1, 3.5, 1.4, 0.2]);
    const res = await post(url, '/invocations', JSON.stringify({ dataframe_split: { data: rows } }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toMatch(/Model is missing inputs \['input'\]. Note that there were extra inputs: \['0', '1', '2', '3'\]/);
    const records = await post(url, '/invocations', JSON.stringify({ dataframe_records: rows }));
    expect(JSON.parse(records.text).message).toMatch(/Model is missing inputs \['input'\]/);
    // the same rows as a tensor are answered
    const tensor = await post(url, '/invocations', JSON.stringify({ inputs: rows }));
    expect(tensor.status).toBe(200);
    expect(JSON.parse(tensor.text).predictions.label).toHaveLength(130_000);
  }, 60_000);

  test('200k-deep nested inputs are a 400 in MLflow\'s shape, not a stack overflow', async () => {
    const depth = 200_000;
    const body = `{"inputs": ${'['.repeat(depth)}1${']'.repeat(depth)}}`;
    const res = await post(url, '/invocations', body);
    expect(res.status).toBe(400);
    // --max-json-depth (64) refuses it before any decoding; past a raised limit, numpy's 64-dimension rule does
    expect(JSON.parse(res.text)).toMatchObject({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/nested deeper than the limit of 64 levels|maximum number of dimension of 64/) });
    const v2 = await post(url, '/v2/models/iris/infer', `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": ${'['.repeat(depth)}1${']'.repeat(depth)}}]}`);
    expect(v2.status).toBe(400);
    expect(Object.keys(JSON.parse(v2.text))).toEqual(['error']);
    expect(await metric(url, /flowgate_internal_errors_total (\d+)/)).toBe(0);
  }, 60_000);

  test('a client that closes mid-body is counted as client_closed, not as a 500', async () => {
    const { port } = new URL(url);
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/invocations', method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': '100000' } });
      req.on('error', () => resolve());
      req.write('{"inputs": [[1, 2, 3');
      setTimeout(() => req.destroy(), 100);
    });
    let closed = 0;
    for (let i = 0; i < 50 && closed === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      closed = await metric(url, /flowgate_client_closed_total (\d+)/);
    }
    expect(closed).toBe(1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).not.toMatch(/code="500"/);
    expect(await metric(url, /flowgate_internal_errors_total (\d+)/)).toBe(0);
  });

  test('V2 routes answer V2 error bodies; a wrong method is a 405 naming the registered methods', async () => {
    const res = await fetch(`${url}/v2/models/iris/infer`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(Object.keys((await res.json()) as object)).toEqual(['error']);
    const ping = await fetch(`${url}/ping`, { method: 'POST' });
    expect([ping.status, ping.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(await ping.json()).toMatchObject({ error_code: 'BAD_REQUEST' });
  });
});

