/**
 * Request limits, as a client meets them on a real server: bodies past --max-body-size get
 * 413 in the route's protocol and a closed connection (from Content-Length before a byte
 * is read, or mid-way through a chunked body); JSON nested past --max-json-depth and
 * requests with more than --max-elements values get a clear 400; error messages echoing
 * input are cut with a "truncated" marker; normal requests keep answering.
 */
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const ROWS = { inputs: [[5.1, 3.5, 1.4, 0.2]] };

interface RawExchange {
  status: number;
  headers: string;
  body: string;
  /** the server closed the connection */
  closed: boolean;
}

/**
 * Sends `head` and then `chunks` (each written when the previous one drained) on a raw
 * socket and reads until the server closes it or 10 s pass; write errors after the
 * server's answer are expected (it stopped reading).
 */
function rawExchange(port: number, head: string, chunks: Iterable<Buffer> = []): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => finish(false), 10_000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d+)[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(received);
      if (match === null) return reject(new Error(`no HTTP response (closed: ${closed}): ${JSON.stringify(received.slice(0, 200))}`));
      resolve({ status: Number(match[1]), headers: match[2]!.toLowerCase(), body: match[3]!, closed });
    };
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
    socket.on('connect', async () => {
      socket.write(head);
      for (const chunk of chunks) {
        if (socket.destroyed || received !== '') return;
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
      }
    });
  });
}

function* chunked(total: number, size = 64 * 1024): Iterable<Buffer> {
  const piece = Buffer.alloc(size, 0x20);
  for (let sent = 0; sent < total; sent += size) yield Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
  yield Buffer.from('0\r\n\r\n');
}

describe('request limits', () => {
  let root: string;
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', maxBodySize: '1MB', maxJsonDepth: '8', maxElements: '1000' });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('a Content-Length past the limit is refused before the body is read: 413, MLflow shape, connection closed', async () => {
    const r = await rawExchange(port, `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n`);
    expect(r.status).toBe(413);
    expect(r.headers).toContain('connection: close');
    expect(r.closed).toBe(true);
    const body = JSON.parse(r.body) as { error_code: string; message: string };
    expect(body.error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(body.message).toContain('200000000 bytes');
    expect(body.message).toContain('1000000 bytes');
  });

  test('a chunked body crossing the limit is cut off mid-stream with 413 and a closed connection', async () => {
    const r = await rawExchange(port, `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, chunked(50_000_000));
    expect(r.status).toBe(413);
    expect(r.closed).toBe(true);
    expect((JSON.parse(r.body) as { error_code: string }).error_code).toBe('REQUEST_LIMIT_EXCEEDED');
  });

  test('V2 routes answer the 413 in the V2 shape', async () => {
    const r = await rawExchange(port, `POST /v2/models/default/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, chunked(5_000_000));
    expect(r.status).toBe(413);
    expect(Object.keys(JSON.parse(r.body) as object)).toEqual(['error']);
  });

  test('a body just under the limit is read and scored', async () => {
    const text = JSON.stringify(ROWS);
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text.padEnd(999_000, ' ') });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { label: unknown[] } }).predictions.label).toHaveLength(1);
  });

  test('JSON nested past --max-json-depth: a clear 400, the server keeps serving', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `{"instances": ${deep}}` });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error_code: string; message: string };
    expect(body).toEqual({ error_code: 'BAD_REQUEST', message: 'The JSON body is nested deeper than the limit of 8 levels.' });
    // brackets inside strings are not nesting
    const quoted = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...ROWS, params: undefined, note: '[[[[[[[[[[[[' }) });
    expect(quoted.status).not.toBe(500);
    expect(((await quoted.json()) as { message?: string }).message ?? '').not.toContain('nested deeper');
  });

  test('more values than --max-elements: 400 in each protocol (JSON, CSV, V2)', async () => {
    const data = Array.from({ length: 300 }, () => [5.1, 3.5, 1.4, 0.2]);
    const json = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: data }) });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { message: string }).message).toBe('The request has more than the limit of 1000 values.');
    const csv = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: `a,b,c,d\n${data.map((r) => r.join(',')).join('\n')}\n` });
    expect(csv.status).toBe(400);
    const v2 = await fetch(`${server.url}/v2/models/default/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [300, 4], data: data.flat() }] }) });
    expect(v2.status).toBe(400);
    expect(await v2.json()).toEqual({ error: 'The request has more than the limit of 1000 values.' });
    // 150 rows (150 + 600 values) are within the limit
    const ok = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: data.slice(0, 150) }) });
    expect(((await ok.json()) as { predictions: { label: unknown[] } }).predictions.label).toHaveLength(150);
  });

  test('error messages echoing input are cut at a few KB with a "truncated" marker', async () => {
    const columns = Array.from({ length: 400 }, (_, i) => `a_very_long_wrong_column_name_${i}`);
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ dataframe_split: { columns, data: [columns.map(() => 1)] } }) });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(5000);
    const message = (JSON.parse(text) as { message: string }).message;
    expect(message).toMatch(/… \(truncated, \d+ bytes\)$/);
    expect(Number(/truncated, (\d+) bytes/.exec(message)![1])).toBeGreaterThan(4096);
  });
});
