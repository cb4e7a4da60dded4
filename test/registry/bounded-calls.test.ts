/**
 * Registry calls are bounded: a wrong tracking URI (a closed port, or a port where
 * something accepts and never answers) fails `flowgate inspect` within ~15 s by default,
 * with an error naming the URI; MLflow's retry and timeout variables are honoured.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const servers: Server[] = [];
const open = new Set<Socket>();
afterEach(async () => {
  for (const socket of open) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** A port that accepts connections and never says a word (a database, a stuck proxy). */
async function silentPort(): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const s = createServer((socket) => {
    count++;
    open.add(socket);
    socket.on('error', () => undefined);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as { port: number }).port, connections: () => count };
}

async function timedInspect(trackingUri: string, env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const result = await runCli(['inspect', 'models:/iris/1', '--tracking-uri', trackingUri], { env });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

describe('a wrong tracking URI fails flowgate inspect quickly, naming the URI', () => {
  test('a closed port, default settings: retried with backoff, given up within ~15 s', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const { code, stderr, seconds } = await timedInspect(uri);
    expect(code).toBe(1);
    expect(stderr).toContain(`Could not reach the tracking server at ${uri}`);
    // the time the call took, as the process measured it (the wall clock adds node's start-up)
    const spent = /ECONNREFUSED.*\(after [1-9] retr(?:y|ies) in (\d+\.\d) s\)/.exec(stderr);
    expect(spent, stderr).not.toBeNull();
    expect(Number(spent![1])).toBeLessThanOrEqual(15);
    expect(seconds).toBeLessThan(30);
  }, 30_000);

  test('a silent port: the deadline (FLOWGATE_REGISTRY_TIMEOUT) ends the wait, whatever MLFLOW_HTTP_REQUEST_TIMEOUT says', async () => {
    const silent = await silentPort();
    const uri = `http://127.0.0.1:${silent.port}`;
    const { code, stderr, seconds } = await timedInspect(uri, { FLOWGATE_REGISTRY_TIMEOUT: '2' });
    expect(code).toBe(1);
    expect(stderr).toContain(`Could not reach the tracking server at ${uri}`);
    expect(stderr).toContain('no answer within 2 s (FLOWGATE_REGISTRY_TIMEOUT)');
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(20);
  });

  test('MLFLOW_HTTP_REQUEST_TIMEOUT is the idle timeout of each attempt; MLFLOW_HTTP_REQUEST_MAX_RETRIES the attempts', async () => {
    const silent = await silentPort();
    const uri = `http://127.0.0.1:${silent.port}`;
    const { code, stderr } = await timedInspect(uri, {
      MLFLOW_HTTP_REQUEST_TIMEOUT: '1',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2',
      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.1',
      MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/no answer within 1 s \(after 2 retries in \d/);
    expect(silent.connections()).toBe(3);
  });

  test('MLFLOW_HTTP_REQUEST_MAX_RETRIES=0: one attempt, an immediate answer', async () => {
    const uri = `http://127.0.0.1:${await closedPort()}`;
    const { code, stderr, seconds } = await timedInspect(uri, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`Could not reach the tracking server at ${uri.replaceAll('.', '\\.')} \\(GET [^)]*\\): ECONNREFUSED[^(]*$`, 'm'));
    expect(seconds).toBeLessThan(10);
  });
});
