/**
 * Slow clients at the DEFAULT timings (slow-clients.test.ts proves the mechanism with
 * shortened timeouts): with no timeout flag given, 300 connections trickling headers and
 * 100 trickling a body are all closed by the server within 40 s — the headers' by the 10 s
 * header timeout, the bodies' by the 30 s body timeout, each counted under its reason in
 * flowgate_requests_refused_total — while normal requests sent meanwhile all succeed (95 %
 * within 1 s). One bounded test of about 32 s, in the normal suite.
 */
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });

/** A socket that sends `head`, then one byte of `trickle` every 500 ms; resolves with the ms it stayed open. */
function trickler(port: number, head: string, trickle: string): { socket: Socket; connected: Promise<unknown>; closedAfterMs: Promise<number> } {
  const socket = connect(port, '127.0.0.1');
  const start = Date.now();
  let i = 0;
  const timer = setInterval(() => socket.writable && socket.write(trickle[i++ % trickle.length]!), 500);
  const connected = new Promise((resolve) => socket.on('connect', resolve).on('close', resolve));
  socket.on('connect', () => socket.write(head));
  socket.on('error', () => undefined);
  socket.resume();
  const closedAfterMs = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - start);
    }),
  );
  return { socket, connected, closedAfterMs };
}

async function refused(url: string, reason: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^flowgate_requests_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

describe('slow clients at the default timeouts', () => {
  let root: string;
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    root = copyExampleRegistry();
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0' }); // no timeout flags: 10 s headers, 30 s body
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('300 header tricklers and 100 body tricklers are all closed within 40 s; normal requests all succeed meanwhile', async () => {
    const warm = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY });
    expect(warm.status).toBe(200);
    const headers = Array.from({ length: 300 }, () => trickler(port, 'POST /invocations HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n'));
    const bodies = Array.from({ length: 100 }, () =>
      trickler(port, 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', ' '),
    );
    const all = [...headers, ...bodies];
    await Promise.all(all.map((t) => t.connected));
    let open = true;
    void Promise.all(all.map((t) => t.closedAfterMs)).then(() => (open = false));
    const answers: { status: number; ms: number }[] = [];
    const deadline = Date.now() + 40_000;
    try {
      while (open && Date.now() < deadline) {
        const start = Date.now();
        const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY, signal: AbortSignal.timeout(10_000) }).catch(
          (err: Error) => ({ status: 0, error: err.message, arrayBuffer: async () => undefined }),
        );
        await res.arrayBuffer();
        answers.push({ status: res.status, ms: Date.now() - start });
        await new Promise((r) => setTimeout(r, 200));
      }
      const headerClosed = await Promise.all(headers.map((t) => t.closedAfterMs));
      const bodyClosed = await Promise.all(bodies.map((t) => t.closedAfterMs));
      expect(Math.max(...headerClosed, ...bodyClosed)).toBeLessThan(40_000);
      expect(Math.min(...headerClosed)).toBeGreaterThan(9_000); // the 10 s header timeout closed them, not something sooner
      expect(Math.max(...headerClosed)).toBeLessThan(20_000);
      expect(Math.min(...bodyClosed)).toBeGreaterThan(29_000); // the 30 s body timeout, not the header one
      expect(await refused(server.url, 'header_timeout')).toBe(300);
      expect(await refused(server.url, 'body_timeout')).toBe(100);
      // normal requests answered all along (about 5 a second), 95 % within 1 s (measured: max under 100 ms on a
      // loaded 2-core machine; the bound leaves room for a scheduler hiccup, not for queueing behind the tricklers)
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(answers.length).toBeGreaterThan(50);
      const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length * 0.95)]).toBeLessThan(1_000);
      console.log(`slow clients at default timeouts: ${answers.length} normal requests, median ${sorted[sorted.length >> 1]} ms, max ${sorted[sorted.length - 1]} ms`);
    } finally {
      for (const t of all) t.socket.destroy();
    }
  }, 60_000);
});
