/**
 * Graceful drain of the HTTP listener, so a replica can leave a load balancer without failing a
 * request it accepted. Node's own `server.close()` is not enough: it destroys every connection
 * it thinks idle at once, including keep-alive sockets whose next request is already in the
 * kernel's buffer (the client gets ECONNRESET), and it stops the header/request timeout checks,
 * so a client trickling bytes keeps the process alive forever.
 *
 * Here the listener stops accepting (net.Server's close only), every response from then on says
 * `Connection: close` (so is every response still being computed), a connection with no request
 * in flight is closed only after it stayed silent for IDLE_GRACE_MS (a request written just
 * before is read and answered instead), and whatever is still open at the deadline is cut.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/** How long a connection with no request in flight must stay silent before it is closed. */
const IDLE_GRACE_MS = 1000;
/** How often connections are checked while draining. */
const SWEEP_MS = 100;

interface Connection {
  /** responses not finished yet */
  readonly responses: Set<ServerResponse>;
  /** socket.bytesRead at the last sweep, and when it last changed */
  bytesRead: number;
  quietSince: number;
}

export interface DrainOutcome {
  /** connections closed by the deadline, and the requests they had in flight */
  cutConnections: number;
  cutRequests: number;
}

export class ListenerDrain {
  private readonly connections = new Map<Socket, Connection>();
  private closing = false;

  constructor(private readonly server: Server) {
    // over TLS, requests arrive on the TLS socket of a secure connection, not on the TCP one
    server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.connections.set(socket, { responses: new Set(), bytesRead: 0, quietSince: Date.now() });
      socket.once('close', () => this.connections.delete(socket));
    });
    // First listener: the header is set before the app can write its response.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.connections.get(req.socket);
      if (connection === undefined) return;
      if (this.closing) res.setHeader('Connection', 'close');
      connection.responses.add(res);
      res.once('close', () => {
        connection.responses.delete(res);
        connection.quietSince = Date.now();
        connection.bytesRead = req.socket.bytesRead;
      });
    });
  }

  /** Requests being answered now, over all connections. */
  inFlight(): number {
    let n = 0;
    for (const c of this.connections.values()) n += c.responses.size;
    return n;
  }

  /**
   * Stops accepting connections and resolves once every connection is closed, or at
   * `deadlineMs`, when the remaining connections are destroyed.
   */
  async drain(deadlineMs: number): Promise<DrainOutcome> {
    this.closing = true;
    const listenerClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    const now = Date.now();
    for (const [socket, connection] of this.connections) {
      for (const res of connection.responses) if (!res.headersSent) res.setHeader('Connection', 'close');
      connection.bytesRead = socket.bytesRead;
      connection.quietSince = now;
    }
    const deadline = now + deadlineMs;
    const outcome = await new Promise<DrainOutcome>((resolve) => {
      const sweep = () => {
        const t = Date.now();
        if (t >= deadline) {
          clearInterval(timer);
          let cutRequests = 0;
          const cutConnections = this.connections.size;
          for (const [socket, connection] of this.connections) {
            cutRequests += connection.responses.size;
            socket.destroy();
          }
          return resolve({ cutConnections, cutRequests });
        }
        for (const [socket, connection] of this.connections) {
          if (connection.responses.size > 0) continue;
          if (socket.bytesRead !== connection.bytesRead) {
            // bytes of a request that is not parsed yet: wait for it
            connection.bytesRead = socket.bytesRead;
            connection.quietSince = t;
          } else if (t - connection.quietSince >= IDLE_GRACE_MS) {
            socket.destroy();
          }
        }
        if (this.connections.size === 0) {
          clearInterval(timer);
          resolve({ cutConnections: 0, cutRequests: 0 });
        }
      };
      const timer = setInterval(sweep, SWEEP_MS);
      sweep();
    });
    await listenerClosed;
    return outcome;
  }
}
