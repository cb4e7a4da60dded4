/**
 * TLS on the listener (--tls-cert, --tls-key) with self-signed certificates made here by
 * openssl: the server speaks HTTPS only; SIGHUP (server.reload) swaps in the files' new
 * certificate for new connections while a keep-alive connection opened before keeps
 * serving; files that cannot be read fail the start, and on reload keep the old ones.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { startFlowgate } from '../helpers/server.js';

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasOpenssl) console.warn('test/guard-rails/tls: openssl not found, skipping (it makes the certificates)');

const BODY = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });

/** A self-signed certificate for 127.0.0.1 with common name `cn`, written to dir/<cn>.{crt,key}. */
function selfSigned(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

interface Answer {
  status: number;
  body: string;
  /** the common name of the certificate the server showed */
  peer: string;
  socket: TLSSocket;
}

function post(url: string, ca: Buffer[], agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}/invocations`, { method: 'POST', ca, agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
      // read now: a keep-alive agent takes the socket back once the body has been read
      const socket = res.socket as TLSSocket;
      const peer = String(socket.getPeerCertificate().subject.CN);
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, peer, socket }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

describe.skipIf(!hasOpenssl)('TLS on the listener', () => {
  let root: string;
  let dir: string;
  let server: RunningServer;
  let files: { cert: string; key: string };
  let ca: Buffer[];
  beforeAll(async () => {
    root = copyExampleRegistry();
    dir = mkdtempSync(join(tmpdir(), 'flowgate-tls-'));
    const first = selfSigned(dir, 'first');
    const second = selfSigned(dir, 'second');
    ca = [readFileSync(first.cert), readFileSync(second.cert)];
    files = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
    writeFileSync(files.cert, readFileSync(first.cert));
    writeFileSync(files.key, readFileSync(first.key));
    server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: files.cert, tlsKey: files.key });
  });
  afterAll(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('answers over HTTPS with the configured certificate, and not over plain HTTP', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await post(server.url, ca, false);
    expect(answer.status).toBe(200);
    expect(Object.keys(JSON.parse(answer.body) as object)).toEqual(['predictions']);
    expect(answer.peer).toBe('first');
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(server.url.replace('https:', 'http:') + '/ping', (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.end();
    });
    expect(plain).not.toBe('status 200');
  });

  test('SIGHUP: a new connection sees the renewed certificate, an open keep-alive connection keeps serving', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await post(server.url, ca, agent);
      expect(before.peer).toBe('first');
      writeFileSync(files.cert, readFileSync(join(dir, 'second.crt')));
      writeFileSync(files.key, readFileSync(join(dir, 'second.key')));
      await server.reload();
      const fresh = await post(server.url, ca, false);
      expect(fresh.status).toBe(200);
      expect(fresh.peer).toBe('second');
      expect(new X509Certificate(readFileSync(files.cert)).subject).toBe('CN=second');
      // the connection opened before the reload is still open, and answers on it
      const kept = await post(server.url, ca, agent);
      expect(kept.socket).toBe(before.socket);
      expect(kept.status).toBe(200);
      expect(kept.peer).toBe('first');
    } finally {
      agent.destroy();
    }
  });

  test('a certificate that no longer reads on SIGHUP keeps the one in use', async () => {
    writeFileSync(files.key, 'not a key');
    await server.reload();
    const answer = await post(server.url, ca, false);
    expect(answer.status).toBe(200);
    expect(answer.peer).toBe('second');
  });

  test('a drain tracks TLS connections: a request on an open keep-alive connection is answered with Connection: close', async () => {
    const other = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: join(dir, 'second.crt'), tlsKey: join(dir, 'second.key'), shutdownDelay: '0' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await post(other.url, ca, agent);
      expect(first.status).toBe(200);
      const shutdown = other.shutdown();
      const during = await new Promise<{ status: number; connection: string | undefined; socket: unknown }>((resolve, reject) => {
        const req = httpsRequest(`${other.url}/invocations`, { method: 'POST', ca, agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
          resolve({ status: res.statusCode!, connection: res.headers.connection, socket: res.socket });
          res.resume();
        });
        req.on('error', reject);
        req.end(BODY);
      });
      expect(during.socket).toBe(first.socket);
      expect(during.status).toBe(200);
      expect(during.connection).toBe('close');
      await shutdown;
    } finally {
      agent.destroy();
    }
  });

  test('unreadable files, or only one of the two flags, fail the start', async () => {
    await expect(startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: join(dir, 'absent.crt'), tlsKey: files.key })).rejects.toThrow(/cannot read the TLS certificate .*absent\.crt/);
    await expect(startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: files.cert })).rejects.toThrow(/TLS needs both --tls-cert and --tls-key/);
    await expect(startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: join(dir, 'first.crt'), tlsKey: join(dir, 'second.key') })).rejects.toThrow(/the TLS certificate .*first\.crt and key .*second\.key do not load/);
  });
});

const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasCurl) console.warn('test/guard-rails/tls: curl not found, skipping the "Try: curl" line check');

describe.skipIf(!hasOpenssl || !hasCurl)('the "Try: curl" line under TLS', () => {
  let root: string;
  let dir: string;
  beforeAll(() => {
    root = copyExampleRegistry();
    dir = mkdtempSync(join(tmpdir(), 'flowgate-tls-try-'));
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The curl command of the banner, run by a shell as a user pastes it (async: the server runs in this process). */
  const runLine = async (line: string) => {
    const command = /^ {2}(curl .*)$/m.exec(line)![1]!;
    return { command, out: (await promisify(execFile)('bash', ['-c', `${command} --max-time 20`], { encoding: 'utf8' })).stdout };
  };

  test('trusts the served certificate, reached under a name it holds; names the credential with auth on', async () => {
    const cert = join(dir, 'localhost.crt');
    const key = join(dir, 'localhost.key');
    // a certificate for "localhost" only: https://127.0.0.1 would fail curl's host check
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const server = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: cert, tlsKey: key, shutdownDelay: '0' });
    try {
      const { tryItLine } = await import('../../src/cli/serve.js');
      const line = await tryItLine(server, { tls: { cert, key }, auth: { tokenFile: null, tokens: [], htpasswdFile: null, metricsToken: null } });
      const { command, out } = await runLine(line);
      expect(command).toContain(`--cacert '${cert}'`);
      expect(command).toContain(`--resolve 'localhost:${new URL(server.url).port}:127.0.0.1'`);
      expect(Object.keys(JSON.parse(out) as object)).toEqual(['predictions']);
      const withAuth = await tryItLine(server, { tls: { cert, key }, auth: { tokenFile: null, tokens: ['some-token-0123456789'], htpasswdFile: null, metricsToken: null } });
      expect(withAuth).toContain(`-H 'Authorization: Bearer <token>'`);
    } finally {
      await server.close();
    }
    // a certificate for the listener's own address needs no other name
    const ip = selfSigned(dir, 'ip');
    const other = await startFlowgate('models:/iris/1', { trackingUri: root, workers: '0', tlsCert: ip.cert, tlsKey: ip.key, shutdownDelay: '0' });
    try {
      const { tryItLine } = await import('../../src/cli/serve.js');
      const { command, out } = await runLine(await tryItLine(other, { tls: ip, auth: { tokenFile: null, tokens: [], htpasswdFile: null, metricsToken: null } }));
      expect(command).not.toContain('--resolve');
      expect(command).toContain(`${other.url}/invocations`);
      expect(Object.keys(JSON.parse(out) as object)).toEqual(['predictions']);
    } finally {
      await other.close();
    }
  });
});
