/**
 * Replicas behind a real load balancer, on loopback: N `flowgate serve` processes (each with its
 * own cache dir, as pods have) behind Debian's HAProxy — round-robin, health checks on /ping every
 * 300 ms, no retries and no redispatch, as kube-proxy does not retry either. Every response says
 * which replica answered (`x-replica`), and HAProxy's stats tell what it sent where.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';

export const HAVE_HAPROXY = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
export const CHECK_INTERVAL_MS = 300;
export const CHECK_FALL = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ServerStats {
  name: string;
  status: string;
  /** responses HAProxy passed on from this server, by class */
  hrsp2xx: number;
  hrsp5xx: number;
}

export interface LoadBalancer {
  url: string;
  stats(): Promise<ServerStats[]>;
  stop(): Promise<void>;
}

export async function startHaproxy(dir: string, backends: { name: string; port: number }[]): Promise<LoadBalancer> {
  const port = await freePort();
  const statsPort = await freePort();
  const config = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 10s',
    // a health check may wait this long for /ping: a slow answer on a busy machine is not a 503
    '  timeout check 3s',
    '  retries 0',
    'frontend replicas',
    `  bind 127.0.0.1:${port}`,
    '  default_backend flowgate',
    'backend flowgate',
    '  balance roundrobin',
    // One server connection per request, as kube-proxy (L4) has no pool of idle connections to a pod: an idle
    // pooled connection reused just as Node's 5 s keep-alive timeout closes it is reset (a proxy, not a drain, race).
    '  option http-server-close',
    '  option httpchk GET /ping',
    '  http-check expect status 200',
    '  http-response set-header x-replica %[srv_name]',
    `  default-server inter ${CHECK_INTERVAL_MS}ms fastinter ${CHECK_INTERVAL_MS}ms downinter ${CHECK_INTERVAL_MS}ms fall ${CHECK_FALL} rise 2`,
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stats = async (): Promise<ServerStats[]> => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const col = (row: string[], name: string) => row[columns.indexOf(name)] ?? '';
    return rows
      .map((r) => r.split(','))
      .filter((r) => col(r, 'pxname') === 'flowgate' && col(r, 'svname') !== 'BACKEND')
      .map((r) => ({ name: col(r, 'svname'), status: col(r, 'status'), hrsp2xx: Number(col(r, 'hrsp_2xx')), hrsp5xx: Number(col(r, 'hrsp_5xx')) }));
  };
  await until(
    `haproxy on 127.0.0.1:${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${output}`);
      return stats().then(
        (s) => s.length === backends.length,
        () => false,
      );
    },
    10_000,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Waits until HAProxy's health checks see every named server in `status` (UP or DOWN). */
export async function waitStatus(lb: LoadBalancer, names: string[], status: 'UP' | 'DOWN', timeoutMs = 30_000): Promise<void> {
  await until(`${names.join(', ')} ${status} in haproxy`, async () => {
    const stats = await lb.stats();
    return names.every((n) => stats.find((s) => s.name === n)?.status === status);
  }, timeoutMs);
}

export interface Replica {
  name: string;
  port: number;
  process: ServeProcess;
  /** SIGTERM, wait for the exit; then start again on the same port. Returns the exit. */
  restart(): Promise<{ code: number | null; signal: NodeJS.Signals | null; drainedMs: number }>;
  stop(): Promise<void>;
}

export async function startReplica(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Replica> {
  const port = await freePort();
  const replica: Replica = {
    name,
    port,
    process: await startServeProcess(args, { port, env }),
    async restart() {
      const start = performance.now();
      replica.process.child.kill('SIGTERM');
      const exit = await replica.process.exited;
      const drainedMs = performance.now() - start;
      replica.process = await startServeProcess(args, { port, env });
      return { ...exit, drainedMs };
    },
    async stop() {
      replica.process.child.kill('SIGKILL');
      await replica.process.exited;
    },
  };
  return replica;
}

/** The replica's JSON log lines whose msg matches `pattern`, with their time (ms since the epoch). */
export function logLines(replica: Replica, pattern: RegExp): { time: number; msg: string }[] {
  return replica.process
    .output()
    .stdout.split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { time: string; msg: string })
    .filter((l) => pattern.test(l.msg))
    .map((l) => ({ time: Date.parse(l.time), msg: l.msg }));
}

/** Prometheus text → samples: `name{labels}` → value. */
export function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export async function scrape(url: string): Promise<ReturnType<typeof parseMetrics>> {
  return parseMetrics(await (await fetch(`${url}/metrics`)).text());
}

/** Sum of a metric's samples whose labels include `match`. */
export function total(samples: ReturnType<typeof parseMetrics>, name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * A TCP relay in front of the registry for one replica, so a test can make the registry
 * unreachable for that replica only (and reachable again on the same port).
 */
export async function startRelay(target: URL): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    async cut() {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
  };
}
