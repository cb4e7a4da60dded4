/**
 * A bounded load generator for drain and replica tests: `concurrency` loops, each sending
 * the next request as soon as the previous one is answered, over keep-alive connections
 * (node:http's Agent, as most clients and proxies pool them). Every attempt is recorded; a
 * connection the server refused (ECONNREFUSED: the request was never accepted) is told apart
 * from a request that failed after it was sent.
 */
import http from 'node:http';

export interface Attempt {
  /** ms since the load started, when the request was sent and when it ended */
  start: number;
  end: number;
  /** the HTTP status, or 0 when there was no response */
  status: number;
  /** the error code when there was no response (ECONNREFUSED, ECONNRESET, ...) */
  error?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LoadOptions {
  url: string;
  path?: string;
  body: string;
  headers?: Record<string, string> | ((i: number) => Record<string, string>);
  concurrency?: number;
  /** stop after this many attempts in all (the bound) */
  maxRequests?: number;
  /** stop a loop once the server refuses its connections */
  stopOnRefused?: boolean;
}

export interface Load {
  attempts: Attempt[];
  /** ms since the load started, on the attempts' clock */
  now(): number;
  stop(): Promise<Attempt[]>;
  done: Promise<Attempt[]>;
}

export function request(agent: http.Agent, url: URL, body: string, headers: Record<string, string>, t0: number): Promise<Attempt> {
  const start = performance.now() - t0;
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ start, end: performance.now() - t0, status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ start, end: performance.now() - t0, status: 0, error: err.code ?? err.message, headers: {}, body: '' }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ start, end: performance.now() - t0, status: 0, error: err.code ?? err.message, headers: {}, body: '' }));
    req.end(body);
  });
}

export function startLoad(options: LoadOptions): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 });
  const url = new URL(options.path ?? '/invocations', options.url);
  const attempts: Attempt[] = [];
  const max = options.maxRequests ?? 50_000;
  const t0 = performance.now();
  let running = true;
  const loop = async () => {
    while (running && attempts.length < max) {
      const headers = typeof options.headers === 'function' ? options.headers(attempts.length) : (options.headers ?? {});
      const attempt = await request(agent, url, options.body, headers, t0);
      attempts.push(attempt);
      if (attempt.error === 'ECONNREFUSED') {
        if (options.stopOnRefused) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency ?? 8 }, loop)).then(() => {
    agent.destroy();
    return attempts;
  });
  return {
    attempts,
    done,
    now: () => performance.now() - t0,
    async stop() {
      running = false;
      return done;
    },
  };
}

/** Attempts that were accepted by a server (not refused) and did not get a 200. */
export function failedAccepted(attempts: Attempt[]): Attempt[] {
  return attempts.filter((a) => a.status !== 200 && a.error !== 'ECONNREFUSED');
}
