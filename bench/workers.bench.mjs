#!/usr/bin/env node
/**
 * Every core: CPU-bound throughput of `flowgate serve -w 2` against `-w 1` (and `-w 0`, all on the
 * main thread), on MLflow's RandomForest (sk_iris_rf), 6 clients posting 20k-row dataframe_split
 * bodies; and the same for 1-row bodies (scored inline: must not regress). Around the inline
 * threshold (16 KiB), 400- and 1000-row bodies show what the hop to a replica thread costs or gains.
 * autocannon, loopback, the load generator on the same cores; runs in the order A B C C B A so a
 * drift in machine load weighs on all alike. Prints req/s, p50/p99 and the ratios.
 *
 * Needs `npm run build` and ../shared/fixtures (skips with a message without them).
 * Knobs: BENCH_DURATION (s per run, default 8), BENCH_WARMUP (s, default 2).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const model = join(repo, '..', 'shared', 'fixtures', 'mlflow-real', 'models', 'sk_iris_rf');
const entry = join(repo, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(join(model, 'MLmodel'))) {
  console.log(`skipped: ${model} is absent (../shared/fixtures)`);
  process.exit(0);
}
if (!existsSync(entry)) {
  console.error('dist/src/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}

const COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
const body = (rows) =>
  JSON.stringify({ dataframe_split: { columns: COLUMNS, data: Array.from({ length: rows }, (_, i) => [4.5 + (i % 35) / 10, 2 + (i % 20) / 10, 1 + (i % 59) / 10, 0.1 + (i % 24) / 10]) } });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const children = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM')));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));

async function startFlowgate(workers) {
  const port = await freePort();
  const child = spawn(process.execPath, [entry, 'serve', '-m', model, '-p', String(port), '-w', String(workers), '--poll-interval', '0', '--log-level', 'warn'], { cwd: repo, stdio: 'ignore' });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    try {
      if ((await fetch(`${url}/ping`)).ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`flowgate -w ${workers} not ready`);
}

async function run(url, payload, connections, duration) {
  const r = await autocannon({ url: `${url}/invocations`, method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, connections, duration, timeout: 60 });
  if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
  return r;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const servers = { 'w0': await startFlowgate(0), 'w1': await startFlowgate(1), 'w2': await startFlowgate(2) };
console.log(`model ${model}; node ${process.version}; ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(1)} (a shared machine: figures are noisy, read the ratios)`);

const cases = [
  { name: '20k rows, c=6', rows: 20_000, connections: 6 },
  { name: '1000 rows, c=6', rows: 1000, connections: 6 },
  { name: '400 rows, c=6', rows: 400, connections: 6 },
  { name: '1 row, c=16', rows: 1, connections: 16 },
];
for (const c of cases) {
  const payload = body(c.rows);
  for (const url of Object.values(servers)) await run(url, payload, c.connections, WARMUP);
  const runs = { w0: [], w1: [], w2: [] };
  for (const name of ['w0', 'w1', 'w2', 'w2', 'w1', 'w0']) runs[name].push(await run(servers[name], payload, c.connections, Math.max(1, DURATION / 2)));
  const s = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, { rps: mean(rs.map((r) => r.requests.average)), p50: mean(rs.map((r) => r.latency.p50)), p99: mean(rs.map((r) => r.latency.p99)) }]));
  console.log(`\n${c.name} (${payload.length} B):`);
  for (const k of ['w0', 'w1', 'w2']) console.log(`  -w ${k.slice(1)}  ${s[k].rps.toFixed(1).padStart(9)} req/s  p50 ${s[k].p50.toFixed(1).padStart(8)} ms  p99 ${s[k].p99.toFixed(1).padStart(8)} ms`);
  console.log(`  -w 2 / -w 1 = ${(s.w2.rps / s.w1.rps).toFixed(2)}x   -w 2 / -w 0 = ${(s.w2.rps / s.w0.rps).toFixed(2)}x`);
}
process.exit(0);
