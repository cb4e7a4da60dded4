/**
 * --access-log: `all` writes a line per request, `errors` only for requests answered
 * >= 400, `off` none; lifecycle lines (listening, serving) are written in every mode.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });

describe.each(['all', 'errors', 'off'] as const)('--access-log %s', (mode) => {
  let root: string;
  const lines: { msg: string; status?: number }[] = [];
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    root = copyExampleRegistry();
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const config = serveConfig({ port: '0', pollInterval: '0', workers: '0', trackingUri: root, modelUri: 'models:/iris/1', accessLog: mode }, {});
    server = await startServer(config, {}, logger);
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('request lines follow the mode; lifecycle lines stay', async () => {
    expect((await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: BODY })).status).toBe(200);
    expect((await fetch(`${server.url}/no-such-route`)).status).toBe(404);
    const statuses = lines.filter((l) => l.msg === 'request').map((l) => l.status);
    expect(statuses).toEqual(mode === 'all' ? [200, 404] : mode === 'errors' ? [404] : []);
    expect(lines.some((l) => l.msg.startsWith('listening on'))).toBe(true);
    expect(lines.some((l) => l.msg.startsWith('serving iris'))).toBe(true);
  });
});
