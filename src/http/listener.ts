/**
 * How the HTTP listener treats slow and numerous clients: Node's own header, request and
 * keep-alive timeouts (checked every second, not Node's default 30 s, so a trickling
 * client is cut close to its deadline), and a cap on open connections below the
 * process's file-descriptor limit, so silent connections cannot exhaust descriptors and
 * make accept() fail for valid requests (past the cap, new connections are closed).
 * Each such refusal is counted in flowgate_requests_refused_total.
 * With --tls-cert/--tls-key the listener speaks HTTPS; SIGHUP swaps in the files' new
 * certificate and key (setSecureContext): new connections get them, open ones are kept.
 */
import { serve, type ServerType } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServerClass, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Metrics } from '../metrics.js';

export interface ListenerLimits {
  headerTimeoutSeconds: number;
  bodyTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
  /** null: the default, below the file-descriptor limit */
  maxConnections: number | null;
}

/** Descriptors kept for model files, the registry, logs and Python workers. */
const RESERVED_DESCRIPTORS = 128;
const FALLBACK_MAX_CONNECTIONS = 1000;

export function serverOptions(limits: ListenerLimits): ServerOptions {
  const headers = limits.headerTimeoutSeconds * 1000;
  return {
    headersTimeout: headers,
    // Node requires the whole request's deadline to be at least the headers'
    requestTimeout: Math.max(headers, limits.bodyTimeoutSeconds * 1000),
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    connectionsCheckingInterval: 1000,
  };
}

/** The connection cap: the configured one, or the soft descriptor limit less a reserve. */
export function maxConnections(limits: ListenerLimits): number {
  if (limits.maxConnections !== null) return limits.maxConnections;
  const fds = openFilesLimit();
  return fds === null ? FALLBACK_MAX_CONNECTIONS : Math.max(16, Math.min(fds - RESERVED_DESCRIPTORS, Math.floor(fds * 0.9)));
}

/** The soft "Max open files" of this process (Linux), or null where it cannot be read. */
function openFilesLimit(): number | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line === null || line[1] === 'unlimited') return null;
    return Number(line[1]);
  } catch {
    return null;
  }
}

/** --tls-cert and --tls-key: PEM files. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** The certificate (chain) and key of `files`, checked to be PEM and to belong together by Node. */
export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const pair = { cert: read(files.cert, 'certificate'), key: read(files.key, 'key') };
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new Error(`the TLS certificate ${files.cert} and key ${files.key} do not load (PEM, and the key of that certificate): ${(err as Error).message}`);
  }
  return pair;
}

/** Binds `fetch` to host:port, over TLS when `tls` is given; resolves once listening. */
export function listen(fetch: (request: Request) => Response | Promise<Response>, host: string, port: number, limits: ListenerLimits, tls: TlsFiles | null): Promise<ServerType> {
  const options = serverOptions(limits);
  return new Promise((resolve, reject) => {
    const s =
      tls === null
        ? serve({ fetch, hostname: host, port, serverOptions: options }, () => resolve(s))
        : // a client that never finishes its handshake is cut like one that never sends its headers
          serve({ fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { ...options, ...readTls(tls), handshakeTimeout: options.headersTimeout! } }, () => resolve(s));
    s.maxConnections = maxConnections(limits);
    s.once('error', reject);
  });
}

/** SIGHUP: the files' certificate and key for new connections; open connections keep theirs. */
export function reloadTls(server: ServerType, tls: TlsFiles): void {
  (server as HttpsServer).setSecureContext(readTls(tls));
}

/**
 * Counts what the listener itself refuses: connections dropped past --max-connections, and
 * connections Node closes (with its 408) because headers or a body did not arrive in time.
 * A timeout with a request of the connection being answered is the body's (its headers
 * were read); without one, the headers'. Node's own handling is left as it is: it destroys
 * the socket with ERR_HTTP_REQUEST_TIMEOUT, which is only listened to here.
 */
export function countRefusals(server: Server, metrics: Metrics, headerTimeoutSeconds: number): void {
  server.on('drop', () => metrics.refuse('max_connections'));
  const answering = new WeakMap<Socket, number>();
  server.on('connection', (socket: Socket) => {
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.refuse((answering.get(socket) ?? 0) > 0 ? 'body_timeout' : 'header_timeout');
    });
  });
  closeSilentConnections(server, metrics, headerTimeoutSeconds);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    res.once('close', () => answering.set(socket, (answering.get(socket) ?? 1) - 1));
  });
}

/**
 * Node's header timeout starts at a request's first byte: a connection that never sends one
 * is never timed out, so silent clients would hold every slot under --max-connections for
 * good. A connection without a first request within the header timeout of its opening is
 * closed here (checked every second) and counted as a header timeout. (With TLS the socket
 * of the request is the TLS one, tracked from its secure connection.)
 */
function closeSilentConnections(server: Server, metrics: Metrics, headerTimeoutSeconds: number): void {
  const waiting = new Map<Socket, number>();
  // Node may already have counted (and not closed) one: its timeout error is counted in countRefusals
  const counted = new WeakSet<Socket>();
  const track = (socket: Socket) => {
    waiting.set(socket, Date.now());
    socket.once('close', () => waiting.delete(socket));
    socket.on('error', (err: NodeJS.ErrnoException) => err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && counted.add(socket));
  };
  server.on(server instanceof HttpsServerClass ? 'secureConnection' : 'connection', track);
  server.on('request', (req: IncomingMessage) => waiting.delete(req.socket));
  const timer = setInterval(() => {
    const deadline = Date.now() - headerTimeoutSeconds * 1000;
    for (const [socket, since] of waiting) {
      if (since > deadline) continue;
      waiting.delete(socket);
      // a byte arrived: Node's header timeout (with its 408) runs from there
      if (socket.bytesRead > 0) continue;
      if (!counted.has(socket)) metrics.refuse('header_timeout');
      socket.destroy();
    }
  }, 1000).unref();
  server.once('close', () => clearInterval(timer));
}
