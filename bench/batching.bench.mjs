#!/usr/bin/env node
/**
 * Adaptive batching: `flowgate serve` on the PyTorch-exported ONNX MLP (64→256→256→10,
 * ../shared/fixtures/mlflow-real-tf/models/onnx_torch_mlp, written by real MLflow) with
 * batching on (--max-batch-size 64) against the same server with it off (--max-batch-size 1),
 * 1-row `{"inputs": ...}` bodies at c=64. Both must answer byte-identical bodies first; then each
 * gets a warm-up and the two are measured in the order A B B A, so machine load weighs on both.
 * Prints req/s, p50/p99, each server's CPU time per request (from /proc: steadier than req/s on a
 * shared machine) and the ratios batched / unbatched; saves bench/.results/batching.json.
 *
 * Needs `npm run build`. Knobs: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3),
 * BENCH_CONNECTIONS (default 64).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from './ports.mjs';
import { cpuSeconds, start, stop, waitReady } from './servers.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const model = join(repo, '..', 'shared', 'fixtures', 'mlflow-real-tf', 'models', 'onnx_torch_mlp');
const entry = join(repo, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('dist/src/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}
if (!existsSync(join(model, 'MLmodel'))) {
  console.log(`batching bench: skipped, ${model} is missing (../shared fixtures)`);
  process.exit(0);
}

async function serve(name, maxBatchSize) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [entry, 'serve', '-m', model, '-h', '127.0.0.1', '-p', String(port), '--poll-interval', '0', '-w', '0', '--log-level', 'warn'];
  const child = start(name, [...args, '--max-batch-size', String(maxBatchSize), '--max-queue', String(4 * CONNECTIONS)], repo);
  await waitReady(url, child);
  return { name, url, child };
}

async function run(server, body, duration) {
  const r = await autocannon({ url: `${server.url}/invocations`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration });
  if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) throw new Error(`${server.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx responses`);
  return r;
}

const row = Array.from({ length: 64 }, (_, i) => Math.round(Math.sin(i * 1.7) * 1000) / 1000);
const body = JSON.stringify({ inputs: [row] });
const batched = await serve('batched', 64);
const unbatched = await serve('unbatched', 1);
const answers = await Promise.all(
  [batched, unbatched].map(async (s) => {
    const res = await fetch(`${s.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return `${res.status} ${await res.text()}`;
  }),
);
if (answers[0] !== answers[1] || !answers[0].startsWith('200 {"predictions": {"logits": [[')) {
  throw new Error(`the servers answer differently:\n${answers.join('\n')}`);
}

console.log(`model ${model}`);
console.log(`autocannon c=${CONNECTIONS}, ${WARMUP} s warm-up + ${DURATION} s per server, 1-row bodies, loopback, node ${process.version}`);
const [load1] = loadavg();
if (load1 > availableParallelism()) console.log(`warning: load average ${load1.toFixed(1)} on ${availableParallelism()} CPUs; other work on this machine skews the numbers`);
for (const s of [batched, unbatched]) await run(s, body, WARMUP);
const runs = { batched: [], unbatched: [] };
const cpu = { batched: 0, unbatched: 0 };
for (const s of [batched, unbatched, unbatched, batched]) {
  const before = cpuSeconds(s.child);
  runs[s.name].push(await run(s, body, Math.max(1, DURATION / 2)));
  const after = cpuSeconds(s.child);
  cpu[s.name] = before === null || after === null || cpu[s.name] === null ? null : cpu[s.name] + after - before;
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (rs, seconds) => {
  const requests = rs.reduce((n, r) => n + r.requests.total, 0);
  return { rps: mean(rs.map((r) => r.requests.average)), p50: mean(rs.map((r) => r.latency.p50)), p99: mean(rs.map((r) => r.latency.p99)), requests, cpuUs: seconds === null ? null : (seconds * 1e6) / requests };
};
const b = summary(runs.batched, cpu.batched);
const u = summary(runs.unbatched, cpu.unbatched);
const metrics = await (await fetch(`${batched.url}/metrics`)).text();
const count = Number(/flowgate_batch_size_count\{model="[^"]*"\} (\d+)/.exec(metrics)?.[1]);
const sum = Number(/flowgate_batch_size_sum\{model="[^"]*"\} (\d+)/.exec(metrics)?.[1]);
stop(batched.child);
stop(unbatched.child);

const num = (x, d = 0) => x.toFixed(d).padStart(9);
const cpuOf = (s) => (s.cpuUs === null ? '        -' : num(s.cpuUs));
console.log(`\n                 req/s    p50 ms    p99 ms  CPU µs/req`);
console.log(`batched    ${num(b.rps)} ${num(b.p50, 1)} ${num(b.p99, 1)} ${cpuOf(b)}   (mean batch ${(sum / count).toFixed(1)} requests)`);
console.log(`unbatched  ${num(u.rps)} ${num(u.p50, 1)} ${num(u.p99, 1)} ${cpuOf(u)}`);
const cpuRatio = b.cpuUs === null || u.cpuUs === null ? null : u.cpuUs / b.cpuUs;
console.log(`batched / unbatched = ${(b.rps / u.rps).toFixed(2)}x req/s (goal >= 3x), p99 ${(b.p99 / u.p99).toFixed(2)}x${cpuRatio === null ? '' : `; CPU per request: unbatched / batched = ${cpuRatio.toFixed(2)}x`}`);
const dir = join(repo, 'bench', '.results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'batching.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, model, connections: CONNECTIONS, duration: DURATION, batched: b, unbatched: u, meanBatch: sum / count, ratio: b.rps / u.rps, cpuRatio }, null, 2));
process.exit(0);
