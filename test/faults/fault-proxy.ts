/**
 * A tracking server that misbehaves on demand: the fake MLflow server (test/registry) behind
 * a proxy that, per request, can refuse the connection, stall, answer 5xx, garbage, HTML or
 * truncated JSON, cut a download mid-way or lie about its length. Tests set `fault` and read
 * `log` to prove which path ran.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MLFLOW_REAL } from '../helpers/fixtures.js';
import { startFakeTrackingServer, type FakeTrackingServer } from '../registry/fake-tracking-server.js';

export type Fault =
  | { kind: 'refuse' }
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'body'; contentType: string; body: string }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'length'; extra: number };

export interface FaultyServer {
  url: string;
  /** the copied registry: its mlflow.db can be edited */
  dir: string;
  /** decides a fault for each request (path + query); null passes it through */
  fault: (path: string) => Fault | null;
  /** every request: its path and the fault applied */
  log: { path: string; fault: Fault['kind'] | null }[];
  /** most requests in flight at once */
  maxConcurrent: number;
  setAlias(model: string, alias: string, version: number): void;
  close(): Promise<void>;
}

export const IS_MODEL_FILE = (path: string) => path.includes('/mlflow-artifacts/artifacts/') && path.endsWith('model.pkl');
export const IS_REGISTRY = (path: string) => path.startsWith('/api/2.0/mlflow/');

export async function startFaultyServer(): Promise<FaultyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-faulty-'));
  cpSync(join(MLFLOW_REAL, 'registry-sqlite-server'), dir, { recursive: true });
  const upstream: FakeTrackingServer = await startFakeTrackingServer(dir);
  const sockets = new Set<Socket>();
  let inFlight = 0;
  const self: FaultyServer = {
    url: '',
    dir,
    fault: () => null,
    log: [],
    maxConcurrent: 0,
    setAlias(model, alias, version) {
      const db = new Database(join(dir, 'mlflow.db'));
      db.prepare('UPDATE registered_model_aliases SET version = ? WHERE name = ? AND alias = ?').run(version, model, alias);
      db.close();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const fault = self.fault(path);
    self.log.push({ path, fault: fault?.kind ?? null });
    inFlight++;
    self.maxConcurrent = Math.max(self.maxConcurrent, inFlight);
    res.on('close', () => inFlight--);
    const pass = () => {
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => {
        const headers: http.OutgoingHttpHeaders = { ...req.headers };
        delete headers.host;
        const up = http.request(upstream.url + path, { method: req.method, headers }, (answer) => {
          if (fault?.kind === 'cut') {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            let sent = 0;
            answer.on('data', (c: Buffer) => {
              if (sent >= fault.afterBytes) return;
              const part = c.subarray(0, fault.afterBytes - sent);
              sent += part.length;
              res.write(part, () => {
                if (sent >= fault.afterBytes) res.destroy();
              });
            });
            answer.on('end', () => res.destroy());
            return;
          }
          if (fault?.kind === 'length') {
            const length = Number(answer.headers['content-length'] ?? 0) + fault.extra;
            res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(length) });
            answer.on('data', (c: Buffer) => res.write(c));
            answer.on('end', () => res.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(Buffer.concat(body));
      });
    };
    if (fault === null || fault.kind === 'cut' || fault.kind === 'length') return pass();
    switch (fault.kind) {
      case 'refuse':
        req.socket.destroy();
        return;
      case 'delay':
        setTimeout(pass, fault.ms);
        return;
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'text/html' }).end(fault.body ?? `<html><body><h1>${fault.status}</h1></body></html>`);
        return;
      case 'body':
        res.writeHead(200, { 'content-type': fault.contentType }).end(fault.body);
        return;
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return self;
}
