/**
 * 413 with a lingering close, as real clients meet it: a 200 MB body sent over loopback to
 * a server with the default 100 MB limit. The client is still writing when the 413 is
 * sent; the server reads and discards the rest (bounded) before closing, so the client
 * receives the 413 and its MLflow error body rather than ECONNRESET/EPIPE. Two clients:
 * Node's http client, which reads the response while it writes, and curl, which uploads a
 * file. The server serves normally afterwards.
 */
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const BODY_BYTES = 200 * 1000 * 1000;
const CHUNK = Buffer.alloc(1024 * 1024, 0x20);

interface Outcome {
  status: number | null;
  body: string;
  /** an error the client met before it had the whole response */
  errorBeforeResponse: string | null;
  bytesWritten: number;
}

/** POSTs BODY_BYTES (with a Content-Length, or chunked) streamed from memory, reading the response as soon as it comes. */
function nodeClient(url: string, chunked: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { status: null, body: '', errorBeforeResponse: null, bytesWritten: 0 };
    let responded = false;
    const req = request(`${url}/invocations`, {
      method: 'POST',
      headers: chunked ? { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } : { 'Content-Type': 'application/json', 'Content-Length': String(BODY_BYTES) },
    });
    const done = () => resolve(outcome);
    req.on('response', (res) => {
      outcome.status = res.statusCode ?? null;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (outcome.body += d));
      res.on('end', () => {
        responded = true;
        done();
      });
      res.on('error', (err) => {
        outcome.errorBeforeResponse ??= `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`;
        done();
      });
    });
    req.on('error', (err) => {
      if (!responded) {
        outcome.errorBeforeResponse ??= `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`;
        done();
      }
    });
    const pump = () => {
      while (outcome.bytesWritten < BODY_BYTES && !req.destroyed) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, BODY_BYTES - outcome.bytesWritten));
        outcome.bytesWritten += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (outcome.bytesWritten >= BODY_BYTES) req.end();
    };
    pump();
  });
}

describe('413 with a lingering close', () => {
  let root: string;
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    root = copyExampleRegistry();
    dir = mkdtempSync(join(tmpdir(), 'flowgate-linger-'));
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0' }); // default --max-body-size: 100 MB
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ['with a Content-Length', false],
    ['chunked', true],
  ])("Node's http client sending 200 MB %s gets the 413 and its body, not a reset", async (_label, chunked) => {
    for (let i = 0; i < 3; i++) {
      const r = await nodeClient(server.url, chunked);
      expect(r.errorBeforeResponse).toBeNull();
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
      expect(JSON.parse(r.body).message).toMatch(chunked ? /^The request body is larger than the limit of 100000000 bytes/ : /^The request body \(200000000 bytes\) is larger than the limit of 100000000 bytes/);
    }
    const ok = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}' });
    expect(ok.status).toBe(200);
  }, 60_000);

  test('curl uploading a 200 MB file gets the 413 and its body', async () => {
    const file = join(dir, 'big.json');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, BODY_BYTES); // sparse: no disk used
    closeSync(fd);
    const run = () =>
      new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) =>
        // "Expect:" (none): curl sends the body at once, without waiting for 100 Continue
        execFile('curl', ['-sS', '-X', 'POST', '-T', file, '-H', 'Content-Type: application/json', '-H', 'Expect:', '-w', '\n%{http_code}', `${server.url}/invocations`], (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : (err.code ?? -1), stdout, stderr }),
        ),
      );
    const probe = await run();
    if (probe.code === 'ENOENT') return void console.warn('curl is not installed: skipping the curl client');
    for (const r of [probe, await run(), await run()]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [body, status] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
      expect(status).toBe('413');
      expect(JSON.parse(body)).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
    }
  }, 60_000);
});
