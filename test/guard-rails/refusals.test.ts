/**
 * flowgate_requests_refused_total{reason}: each guard rail that refuses a request or a
 * connection counts it under its own reason, exactly once per refusal, as /metrics shows:
 * a body past --max-body-size (413, declared or chunked), JSON
 * nested past --max-json-depth and more values than --max-elements (400), headers or a
 * body that do not arrive within --header-timeout / --body-timeout (closed), a model queue
 * at --max-queue (503). Connections past --max-connections, and the timeouts at scale, are
 * counted in slow-clients.test.ts.
 */
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REFUSAL_REASONS, type RefusalReason } from '../../src/metrics.js';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';
import { refusedCounts } from '../helpers/slow-clients.js';

/** Runs `act` and returns how each reason's count moved meanwhile. */
async function delta(url: string, act: () => Promise<void>): Promise<Partial<Record<RefusalReason, number>>> {
  const before = await refusedCounts(url);
  await act();
  const after = await refusedCounts(url);
  const moved: Partial<Record<RefusalReason, number>> = {};
  for (const reason of REFUSAL_REASONS) if (after[reason] !== before[reason]) moved[reason] = after[reason] - before[reason];
  return moved;
}

async function post(url: string, body: string, path = '/invocations'): Promise<number> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  await res.arrayBuffer();
  return res.status;
}

/** A raw connection that sends `head` and then nothing; resolves when the server closes it, with what it answered. */
function stalled(port: number, head: string): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let answered = '';
  socket.on('error', () => undefined);
  socket.on('data', (d) => (answered += d.toString('latin1')));
  socket.on('connect', () => socket.write(head));
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(answered))) };
}

describe('flowgate_requests_refused_total', () => {
  let root: string;
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris/1', {
      trackingUri: root,
      workers: '0',
      maxBodySize: '2MB',
      maxJsonDepth: '8',
      maxElements: '100000',
      headerTimeout: '1',
      bodyTimeout: '2',
    });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('every reason is exported from the start, at 0', async () => {
    expect(await refusedCounts(server.url)).toEqual(Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])));
  });

  test('413: a declared and a chunked body past --max-body-size', async () => {
    const moved = await delta(server.url, async () => {
      const declared = stalled(port, 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n\r\n');
      expect(await declared.closed).toMatch(/^HTTP\/1\.1 413/);
      const spaces = Buffer.alloc(64 * 1024, 0x20);
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 48; i++) controller.enqueue(spaces);
          controller.close();
        },
      });
      const chunked = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
      await chunked.arrayBuffer();
    });
    expect(moved).toEqual({ body_too_large: 2 });
  });

  test('400: JSON nested past --max-json-depth, and more values than --max-elements', async () => {
    expect(await delta(server.url, async () => expect(await post(server.url, `{"inputs": ${'['.repeat(20)}1${']'.repeat(20)}}`)).toBe(400))).toEqual({ json_depth: 1 });
    const many = JSON.stringify({ inputs: Array.from({ length: 30_000 }, () => [5.1, 3.5, 1.4, 0.2]) });
    expect(await delta(server.url, async () => expect(await post(server.url, many)).toBe(400))).toEqual({ too_many_elements: 1 });
  });

  test('timeouts: headers not ended within --header-timeout, a body not ended within --body-timeout', async () => {
    const headers = await delta(server.url, async () => {
      expect(await stalled(port, 'POST /invocations HTTP/1.1\r\nHost: x\r\n').closed).toMatch(/^HTTP\/1\.1 408/);
    });
    expect(headers).toEqual({ header_timeout: 1 });
    const body = await delta(server.url, async () => {
      await stalled(port, 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inp').closed;
    });
    expect(body).toEqual({ body_timeout: 1 });
  }, 20_000);
});

describe('flowgate_requests_refused_total past --max-queue', () => {
  let root: string;
  let server: RunningServer;
  beforeAll(async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', maxQueue: '1' });
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('503: requests past --max-queue, one count per 503', { timeout: 60_000 }, async () => {
    // rows enough that a request is still in flight when the next of its round arrives
    const rows = JSON.stringify({ inputs: Array.from({ length: 2_000 }, () => [5.1, 3.5, 1.4, 0.2]) });
    const statuses: number[] = [];
    const moved = await delta(server.url, async () => {
      // rounds of concurrent requests until some overlap (how they interleave depends on the machine)
      for (let round = 0; round < 50 && !statuses.includes(503); round++) statuses.push(...(await Promise.all(Array.from({ length: 16 }, () => post(server.url, rows)))));
    });
    const refused = statuses.filter((s) => s === 503).length;
    console.log(`--max-queue 1: ${refused} of ${statuses.length} refused`);
    expect(statuses.filter((s) => s !== 503 && s !== 200)).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    expect(moved).toEqual({ queue_full: refused });
  });
});
