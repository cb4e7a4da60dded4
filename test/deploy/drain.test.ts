/**
 * Graceful shutdown of `flowgate serve` as Kubernetes drives it: SIGTERM turns /ping 503 while
 * the listener keeps serving for --shutdown-delay, then the listener closes, connections get
 * `Connection: close`, requests in flight finish within --drain-timeout, and the process exits 0.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenerDrain } from '../../src/http/drain.js';
import { failedAccepted, startLoad } from '../helpers/load.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';

const SERVE = ['-m', 'models:/iris/Production', '--tracking-uri', 'examples/mlruns', '--poll-interval', '0'];
const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ServeProcess | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = undefined;
});

async function ping(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/ping`)).status;
  } catch {
    return 0;
  }
}

/** A raw HTTP/1.1 connection: write bytes, read everything the server sends until it closes. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  const closed = new Promise<{ received: string; error?: string }>((resolve) => {
    let error: string | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code));
    socket.on('close', () => resolve({ received, error }));
  });
  return { socket, closed, received: () => received, ready: new Promise((r) => socket.once('connect', r)) };
}

const RAW_REQUEST = `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

describe('flowgate serve on SIGTERM', () => {
  it('under load: /ping 503 at once, keeps serving for the delay, 0 failed accepted requests, exit 0', async () => {
    server = await startServeProcess([...SERVE, '--shutdown-delay', '1.5', '--drain-timeout', '10']);
    const load = startLoad({ url: server.url, body: BODY, concurrency: 8, maxRequests: 30_000, stopOnRefused: true });
    while (load.attempts.length < 200) await sleep(10);
    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    // readiness turns at once; prediction requests still get answers meanwhile
    const pingStatus = await ping(server.url);
    const pingAnswered = load.now();
    const beforeDelayEnds = load.attempts.length;
    const exit = await server.exited;
    const exitAfter = performance.now() - signalAt;
    const attempts = await load.stop();

    expect(pingStatus).toBe(503);
    expect(failedAccepted(attempts)).toEqual([]);
    // after /ping said 503, the listener kept accepting and answering
    expect(attempts.filter((a) => a.status === 200).length).toBeGreaterThan(beforeDelayEnds);
    expect(attempts.some((a) => a.status === 200 && a.start > pingAnswered)).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitAfter).toBeGreaterThanOrEqual(1500);
    const logs = server.output().stdout;
    // every request finished on its own: the drain deadline (10 s) cut nothing
    expect(logs).not.toContain('drain timeout');
    expect(logs).toContain('listener closed, draining connections');
    expect(logs).toContain('"msg":"shut down"');
    // some responses after the listener closed said Connection: close, so clients stopped reusing
    expect(attempts.some((a) => a.headers.connection === 'close')).toBe(true);
  });

  it('a request trickled over the delay and the drain finishes (200, Connection: close); a client that trickles forever is cut at --drain-timeout', async () => {
    server = await startServeProcess([...SERVE, '--shutdown-delay', '0.5', '--drain-timeout', '3']);
    const slow = rawConnection(server.port);
    const forever = rawConnection(server.port);
    await Promise.all([slow.ready, forever.ready]);
    const head = RAW_REQUEST.slice(0, RAW_REQUEST.indexOf('\r\n\r\n') + 4);
    slow.socket.write(head);
    forever.socket.write('POST /invocations HTTP/1.1\r\nX-Trickle: ');
    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    const trickle = setInterval(() => forever.socket.write('x'), 200);
    for (const ch of BODY) {
      slow.socket.write(ch);
      await sleep(1500 / BODY.length);
    }
    const slowEnd = await slow.closed;
    const exit = await server.exited;
    const exitAfter = performance.now() - signalAt;
    clearInterval(trickle);
    expect(slowEnd.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(slowEnd.received.toLowerCase()).toContain('connection: close');
    expect(exit).toEqual({ code: 0, signal: null });
    // 0.5 s delay + 3 s deadline: the trickler did not hold the process
    expect(exitAfter).toBeLessThan(3500 + 2000);
    expect((await forever.closed).received).toBe('');
    expect(server.output().stdout).toContain('drain timeout: closed 1 connections');
  });

  it('a second signal exits at once', async () => {
    server = await startServeProcess([...SERVE, '--shutdown-delay', '30']);
    server.child.kill('SIGTERM');
    await sleep(200);
    expect(await ping(server.url)).toBe(503);
    server.child.kill('SIGINT');
    const exit = await server.exited;
    expect(exit).toEqual({ code: 128 + 2, signal: null });
    expect(server.output().stderr).toContain('SIGINT again, exiting without draining');
  });
});

describe('ListenerDrain', () => {
  /** A server whose keep-alive connection has answered one request and is idle. */
  async function idleKeepAlive() {
    const srv = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const drain = new ListenerDrain(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const raw = rawConnection(port);
    await raw.ready;
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!raw.received().endsWith('ok')) await sleep(5);
    return { srv, drain, raw };
  }

  it('a request written on an idle keep-alive connection as the drain starts is answered, with Connection: close', async () => {
    const { drain, raw } = await idleKeepAlive();
    const drained = drain.drain(5000);
    raw.socket.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    const end = await raw.closed;
    expect(end.error).toBeUndefined();
    expect(end.received.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(end.received.slice(end.received.lastIndexOf('HTTP/1.1')).toLowerCase()).toContain('connection: close');
    expect(await drained).toEqual({ cutConnections: 0, cutRequests: 0 });
  });

  it("(the same race with Node's server.close() loses the request: what the drain fixes)", async () => {
    const { srv, raw } = await idleKeepAlive();
    srv.close();
    raw.socket.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    const end = await raw.closed;
    expect(end.received.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(1);
  });

  it('closes a connection that stays idle', async () => {
    const { drain, raw } = await idleKeepAlive();
    const start = performance.now();
    expect(await drain.drain(5000)).toEqual({ cutConnections: 0, cutRequests: 0 });
    expect(performance.now() - start).toBeLessThan(3000);
    expect((await raw.closed).received.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(1);
  });
});
