/**
 * OpenTelemetry tracing of `flowgate serve`, against an OTLP/HTTP receiver that decodes the protobuf
 * with the official definitions: the caller's W3C traceparent is continued, each request has its
 * route/decode/predict/encode spans (predict with endpoint, variant, model, version, rows), shadows run
 * in the same trace, model loads and registry polls have spans, the registry, artifact and S3 calls carry
 * traceparent, and nothing is sent unless an OTLP endpoint (or --otel) is configured.
 */
import { randomBytes } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterEach, describe, expect, it } from 'vitest';
import { copyExampleRegistry, versionDir, writeAbEndpointsFile } from '../helpers/registry.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { startFakeTrackingServer } from '../registry/fake-tracking-server.js';
import { HAVE_FIXTURES, relocatedCopy, tempDir } from '../registry/fixture.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ServeProcess | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  server?.child.kill('SIGKILL');
  await receiver?.close();
  server = undefined;
  receiver = undefined;
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const OTEL_ENV = (url: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'flowgate-test' });

describe('tracing', () => {
  it('continues the caller’s trace: request, route, decode, predict, encode and shadow spans, exported as OTLP protobuf', async () => {
    receiver = await startOtlpReceiver();
    const root = copyExampleRegistry();
    server = await startServeProcess(['--config', writeAbEndpointsFile(root), '--tracking-uri', root, '--poll-interval', '1'], { env: OTEL_ENV(receiver.url) });
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01`, 'x-flowgate-variant': 'champion' },
      body: BODY,
    });
    expect(res.status).toBe(200);
    const inTrace = (name: string) => receiver!.spans.find((s) => s.traceId === traceId && s.name === name);
    const request = await until('the request span', () => inTrace('POST /invocations'));
    const shadow = await until('the shadow span', () => inTrace('shadow'));
    expect(request.kind).toBe('SPAN_KIND_SERVER');
    expect(request.parentSpanId).toBe(callerSpan);
    expect(request.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/invocations', 'http.response.status_code': 200 });
    expect(request.resource['service.name']).toBe('flowgate-test');
    const stages = ['route', 'decode', 'predict', 'encode'].map((name) => inTrace(name));
    for (const [i, span] of stages.entries()) expect(span?.parentSpanId, ['route', 'decode', 'predict', 'encode'][i]).toBe(request.spanId);
    expect(stages[2]!.attributes).toEqual({ 'flowgate.endpoint': 'iris', 'flowgate.variant': 'champion', 'flowgate.model': 'iris', 'flowgate.version': '1', 'flowgate.rows': 2 });
    expect(shadow.attributes['flowgate.variant']).toBe('candidate');
    expect(receiver.contentTypes.every((t) => t === 'application/x-protobuf')).toBe(true);

    // the Open Inference Protocol has the same stages
    const v2Trace = randomBytes(16).toString('hex');
    const v2 = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', traceparent: `00-${v2Trace}-${callerSpan}-01`, 'x-flowgate-variant': 'challenger' },
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4], data: Array(12).fill(5) }] }),
    });
    expect(v2.status).toBe(200);
    const v2Predict = await until('the V2 predict span', () => receiver!.spans.find((s) => s.traceId === v2Trace && s.name === 'predict'));
    expect(v2Predict.attributes).toEqual({ 'flowgate.endpoint': 'iris', 'flowgate.variant': 'challenger', 'flowgate.model': 'iris', 'flowgate.version': '2', 'flowgate.rows': 3 });
    const v2Names = receiver.spans.filter((s) => s.traceId === v2Trace).map((s) => s.name);
    expect(v2Names).toEqual(expect.arrayContaining(['POST /v2/models/:name/infer', 'route', 'decode', 'predict', 'encode']));

    // model loads at start (3 variants, 2 versions) and a registry poll every second, each in its own trace
    const loads = receiver.spans.filter((s) => s.name === 'model.load');
    expect(loads.map((s) => s.attributes['flowgate.model_uri']).sort()).toEqual(['models:/iris/Staging', 'models:/iris@challenger', 'models:/iris@champion']);
    await until('registry poll spans', () => (receiver!.spans.filter((s) => s.name === 'registry.poll').length >= 3 ? true : undefined));
  });

  it('a failing request marks its span as an error; a request without traceparent starts a new trace', async () => {
    receiver = await startOtlpReceiver();
    server = await startServeProcess(['-m', 'models:/iris/Production', '--tracking-uri', 'examples/mlruns', '--poll-interval', '0'], { env: OTEL_ENV(receiver.url) });
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [[1, 2]]}' });
    expect(res.status).toBe(400);
    const decode: ReceivedSpan = await until('the decode or predict span', () => receiver!.spans.find((s) => (s.name === 'decode' || s.name === 'predict') && s.status.code === 'STATUS_CODE_ERROR'));
    const request = await until('the request span', () => receiver!.spans.find((s) => s.spanId === decode.parentSpanId));
    expect(request.parentSpanId).toBe('');
    expect(decode.status.message).toMatch(/\S/);
  });

  it('is off without an OTLP endpoint or --otel, and with OTEL_SDK_DISABLED=true', async () => {
    receiver = await startOtlpReceiver();
    server = await startServeProcess(['-m', 'models:/iris/Production', '--tracking-uri', 'examples/mlruns', '--poll-interval', '0'], {
      env: { ...OTEL_ENV(receiver.url), OTEL_SDK_DISABLED: 'true' },
    });
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY });
    expect(res.status).toBe(200);
    server.child.kill('SIGTERM');
    await server.exited;
    expect(receiver.spans).toEqual([]);
    expect(receiver.contentTypes).toEqual([]);
  });

  it('S3 calls carry the traceparent of the resolution that made them (s3rver)', async () => {
    const tmp = tempDir('otel-s3');
    mkdirSync(join(tmp.dir, 's3'));
    const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(tmp.dir, 's3'), configureBuckets: [{ name: 'mlflow', configs: [] }] });
    const { port } = await s3rver.run();
    // s3rver runs in this process: its HTTP server's requests are seen through Node's diagnostics channel
    const seen: { url: string; traceparent: string | undefined }[] = [];
    const onRequest = (message: unknown) => {
      const { request, server: http } = message as { request: IncomingMessage; server: Server };
      if ((http.address() as AddressInfo | null)?.port === port) seen.push({ url: request.url ?? '', traceparent: request.headers.traceparent as string | undefined });
    };
    try {
      const env = { MLFLOW_S3_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' };
      const upload = new S3Client({ endpoint: env.MLFLOW_S3_ENDPOINT_URL, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      const model = versionDir(copyExampleRegistry(join(tmp.dir, 'registry')), 'iris', 1);
      for (const file of readdirSync(model)) {
        await upload.send(new PutObjectCommand({ Bucket: 'mlflow', Key: `iris/model/${file}`, Body: readFileSync(join(model, file)) }));
      }
      upload.destroy();
      diagnostics_channel.subscribe('http.server.request.start', onRequest);
      receiver = await startOtlpReceiver();
      server = await startServeProcess(['-m', 's3://mlflow/iris/model', '--cache-dir', join(tmp.dir, 'cache')], { env: { ...env, ...OTEL_ENV(receiver.url) } });
      const resolve = await until('the resolution span', () => receiver!.spans.find((s) => s.name === 'registry.resolve'));
      expect(resolve.attributes['flowgate.model_uri']).toBe('s3://mlflow/iris/model');
      const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY });
      expect(res.status).toBe(200);
      // the listing and every download, each in the resolution's trace
      expect(seen.some((r) => r.url.includes('list-type=2'))).toBe(true);
      expect(seen.some((r) => r.url.startsWith('/mlflow/iris/model/model.onnx'))).toBe(true);
      expect(seen.filter((r) => r.traceparent?.split('-')[1] !== resolve.traceId)).toEqual([]);
    } finally {
      diagnostics_channel.unsubscribe('http.server.request.start', onRequest);
      server?.child.kill('SIGKILL');
      await s3rver.close();
      tmp.cleanup();
    }
  });

  describe.skipIf(!HAVE_FIXTURES)('with a tracking server', () => {
    it('registry and artifact calls carry the traceparent of the load or poll that made them', async () => {
      const tmp = tempDir('otel-rest');
      const tracking = await startFakeTrackingServer(relocatedCopy('registry-sqlite-server', tmp.dir));
      try {
        receiver = await startOtlpReceiver();
        server = await startServeProcess(['-m', 'models:/iris-lr@champion', '--tracking-uri', tracking.url, '--poll-interval', '1', '--cache-dir', join(tmp.dir, 'cache')], {
          env: OTEL_ENV(receiver.url),
        });
        const resolve = await until('the first resolution span', () => receiver!.spans.find((s) => s.name === 'registry.resolve'));
        const polls = await until('two registry poll spans', () => {
          const found = receiver!.spans.filter((s) => s.name === 'registry.poll');
          return found.length >= 2 ? found : undefined;
        });
        const traceOf = (r: { traceparent?: string | undefined }) => r.traceparent?.split('-')[1];
        // every call to the tracking server was made inside a span, and says which
        expect(tracking.requests.filter((r) => r.traceparent === undefined)).toEqual([]);
        const first = tracking.requests.filter((r) => traceOf(r) === resolve.traceId).map((r) => r.url);
        expect(first.some((u) => u.includes('registered-models/alias'))).toBe(true);
        expect(first.some((u) => u.includes('/mlflow-artifacts/artifacts/') && u.endsWith('/MLmodel'))).toBe(true);
        for (const poll of polls) {
          expect(tracking.requests.some((r) => traceOf(r) === poll.traceId && r.url.includes('registered-models/alias'))).toBe(true);
        }
      } finally {
        server?.child.kill('SIGKILL');
        await tracking.close();
        tmp.cleanup();
      }
    });
  });
});
