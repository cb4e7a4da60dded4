/**
 * The default --max-connections under a small open-files limit, as the issue measured it:
 * `flowgate serve` started with `ulimit -n 1024` (no --max-connections, default timeouts) and
 * 1,500 silent connections. The cap (the limit less 10%, at least 128 kept free) closes those
 * past it at once, so descriptors never run out (nothing logs EMFILE, the process lives);
 * the header timeout closes the rest, each refusal is counted, and valid requests are then
 * answered. While the silent ones hold every slot, new connections are refused too: a cap
 * bounds descriptors, the header timeout frees the slots. Needs dist/ (`npm run build`).
 */
import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { refusedCounts } from '../helpers/slow-clients.js';

const SILENT = 1_500;
const OPEN_FILES = 1_024;
const CAP = OPEN_FILES - 128; // max(10%, 128) kept free

describe(`${SILENT} silent connections under ulimit -n ${OPEN_FILES}, default --max-connections`, () => {
  let root: string;
  let serve: ServeProcess;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    root = copyExampleRegistry();
    serve = await startServeProcess(['-m', 'models:/iris/1', '--tracking-uri', root, '-w', '0', '--shutdown-delay', '0'], { openFiles: OPEN_FILES });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    if (serve && serve.child.exitCode === null) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('those past the cap are closed at once, the rest at the header timeout, each counted; then valid requests are answered', { timeout: 90_000 }, async () => {
    const start = Date.now();
    const closedAfter = await Promise.all(
      Array.from({ length: SILENT }, () => {
        const socket = connect(serve.port, '127.0.0.1');
        sockets.push(socket);
        socket.on('error', () => undefined);
        socket.resume(); // read, so that the server's FIN is seen
        return new Promise<number>((resolve) => {
          socket.on('close', () => resolve(Date.now() - start));
          setTimeout(() => resolve(Infinity), 60_000);
        });
      }),
    );
    // every one closed by the server: those past the cap at once, the others by the 10 s header timeout
    expect(closedAfter.filter((ms) => ms === Infinity)).toEqual([]);
    expect(closedAfter.filter((ms) => ms < 8_000).length).toBeGreaterThanOrEqual(SILENT - CAP);
    const counts = await refusedCounts(serve.url);
    expect(counts.max_connections).toBeGreaterThanOrEqual(SILENT - CAP);
    expect(counts.max_connections + counts.header_timeout).toBe(SILENT);
    expect(serve.child.exitCode).toBeNull();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${serve.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }) });
      expect(res.status).toBe(200);
      expect(Object.keys((await res.json()) as object)).toEqual(['predictions']);
    }
    const { stdout, stderr } = serve.output();
    expect(stdout + stderr).not.toMatch(/EMFILE|too many open files/i);
  });
});
