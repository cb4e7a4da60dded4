#!/usr/bin/env node
/**
 * HTTP throughput of `flowgate serve` against bare hono (bench/bare-hono.mjs, the same HTTP stack with
 * no work behind it, answering with the bytes flowgate answers) and a bare node:http server
 * (bench/bare-node.mjs: read, JSON.parse, fixed answer: the ceiling), on the ONNX iris model with
 * `{"inputs": ...}` bodies of 1 and 100 rows.
 * autocannon, loopback only, c=16; each case gets a warm-up, then the two servers are measured in turn.
 * Prints req/s, p50/p99 latency and each server's CPU time per request (from /proc: far steadier than req/s on a
 * shared machine), flowgate / bare hono and flowgate / node:http; saves bench/.results/http.json.
 *
 * Needs `npm run build`. Knobs: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3),
 * BENCH_CONNECTIONS (default 16), FLOWGATE_LOG_LEVEL (default: flowgate's own, info).
 * The model is ../shared/fixtures/mlflow-real/models/onnx_iris_softmax (written by real MLflow), or the
 * example registry's iris v1 when ../shared is absent: same signature, same ONNX graph shape.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from './ports.mjs';
import { cpuSeconds, start as startIn, stop, waitReady } from './servers.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

function modelDir() {
  const shared = join(repo, '..', 'shared', 'fixtures', 'mlflow-real', 'models', 'onnx_iris_softmax');
  if (existsSync(join(shared, 'MLmodel'))) return shared;
  const mlruns = join(repo, 'examples', 'mlruns');
  const version = join(mlruns, 'models', 'iris', 'version-1');
  const runId = /^run_id: (\S+)$/m.exec(readFileSync(join(version, 'meta.yaml'), 'utf8'))?.[1];
  for (const experiment of readdirSync(mlruns)) {
    const dir = join(mlruns, experiment, runId ?? '', 'artifacts', 'model');
    if (runId && existsSync(join(dir, 'MLmodel'))) return dir;
  }
  throw new Error('no ONNX iris model: neither ../shared nor examples/mlruns is there');
}

/** `n` iris-like rows, deterministic. */
function rows(n) {
  const base = [
    [5.1, 3.5, 1.4, 0.2],
    [7.0, 3.2, 4.7, 1.4],
    [6.3, 3.3, 6.0, 2.5],
    [5.0, 3.0, 1.6, 0.2],
    [6.6, 3.0, 4.4, 1.4],
  ];
  return Array.from({ length: n }, (_, i) => base[i % base.length].map((v, j) => Math.round((v + ((i * 7 + j) % 5) * 0.1) * 10) / 10));
}

function load(url, body, duration) {
  return autocannon({
    url: `${url}/invocations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration,
  });
}

async function run(url, body, duration) {
  const result = await load(url, body, duration);
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`);
  }
  return result;
}

const start = (name, args) => startIn(name, args, repo);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Both servers on one body, in the order A B B A (two runs of DURATION / 2 each), so that a drift in
 * machine load during the case weighs on both alike. Latencies are the means of the two runs.
 */
async function compare(body, bare, node) {
  const servers = { flowgate: { url: flowgateUrl, child: flowgate }, bareHono: bare, bareNode: node };
  for (const { url } of Object.values(servers)) await run(url, body, WARMUP);
  const runs = { flowgate: [], bareHono: [], bareNode: [] };
  const cpu = { flowgate: 0, bareHono: 0, bareNode: 0 };
  for (const name of ['bareNode', 'bareHono', 'flowgate', 'flowgate', 'bareHono', 'bareNode']) {
    const before = cpuSeconds(servers[name].child);
    runs[name].push(await run(servers[name].url, body, Math.max(1, DURATION / 2)));
    const after = cpuSeconds(servers[name].child);
    cpu[name] = before === null || after === null || cpu[name] === null ? null : cpu[name] + after - before;
  }
  const summary = (rs, seconds) => {
    const requests = rs.reduce((sum, r) => sum + r.requests.total, 0);
    return {
      rps: mean(rs.map((r) => r.requests.average)),
      p50: mean(rs.map((r) => r.latency.p50)),
      p99: mean(rs.map((r) => r.latency.p99)),
      requests,
      /** the server's CPU time per request answered, in µs */
      cpuUs: seconds === null ? null : (seconds * 1e6) / requests,
    };
  };
  return { flowgate: summary(runs.flowgate, cpu.flowgate), bareHono: summary(runs.bareHono, cpu.bareHono), bareNode: summary(runs.bareNode, cpu.bareNode) };
}

const entry = join(repo, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('dist/src/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}
const model = modelDir();
const flowgatePort = await freePort();
const flowgateUrl = `http://127.0.0.1:${flowgatePort}`;
const flowgate = start('flowgate', [entry, 'serve', '-m', model, '-h', '127.0.0.1', '-p', String(flowgatePort), '--poll-interval', '0']);
await waitReady(flowgateUrl, flowgate);
const resultsDir = join(repo, 'bench', '.results');
mkdirSync(resultsDir, { recursive: true });

/** flowgate's answer to `body`, checked: a server that answers fast but wrongly is no result. */
async function flowgateAnswer(body, n) {
  const res = await fetch(`${flowgateUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  const predictions = res.ok ? JSON.parse(text).predictions : undefined;
  if (predictions?.label?.length !== n || predictions?.probabilities?.length !== n) {
    throw new Error(`flowgate did not predict ${n} rows: ${res.status} ${text.slice(0, 300)}`);
  }
  return text;
}

/** A bare server (bench/<script>) answering with `response`, on a port of its own. */
async function startBare(script, response, n) {
  const file = join(resultsDir, `http-response-${n}.json`);
  writeFileSync(file, response);
  const port = await freePort();
  const child = start(script, [join(repo, 'bench', script), String(port), file]);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { url, child };
}

console.log(`model ${model}`);
console.log(`autocannon c=${CONNECTIONS}, ${WARMUP} s warm-up + ${DURATION} s per server and case, loopback, node ${process.version}`);
const [load1] = loadavg();
if (load1 > availableParallelism()) {
  console.log(`warning: load average ${load1.toFixed(1)} on ${availableParallelism()} CPUs; other work on this machine skews the numbers`);
}
const results = [];
for (const n of [1, 100]) {
  const body = JSON.stringify({ inputs: rows(n) });
  const response = await flowgateAnswer(body, n);
  const bare = await startBare('bare-hono.mjs', response, n);
  const node = await startBare('bare-node.mjs', response, n);
  const { flowgate: f, bareHono: b, bareNode: h } = await compare(body, bare, node);
  stop(bare.child);
  stop(node.child);
  const label = `${n} row${n === 1 ? '' : 's'} (${body.length} B in, ${response.length} B out)`;
  results.push({
    case: label,
    flowgate: f,
    bareHono: b,
    bareNode: h,
    ratio: f.rps / b.rps,
    ratioNode: f.rps / h.rps,
    p99Node: f.p99 / h.p99,
    cpuRatioNode: f.cpuUs === null || h.cpuUs === null ? null : h.cpuUs / f.cpuUs,
  });
}

const pad = (s, n) => String(s).padEnd(n);
const width = Math.max(...results.map((r) => r.case.length)) + 2;
const num = (x, digits = 0) => x.toFixed(digits).padStart(9);
const cpuOf = (s) => (s.cpuUs === null ? '        -' : num(s.cpuUs));
console.log(`\n${pad('case', width)}              req/s    p50 ms    p99 ms  CPU µs/req`);
for (const r of results) {
  console.log(`${pad(r.case, width)}flowgate  ${num(r.flowgate.rps)} ${num(r.flowgate.p50, 1)} ${num(r.flowgate.p99, 1)} ${cpuOf(r.flowgate)}`);
  console.log(`${pad('', width)}bare hono ${num(r.bareHono.rps)} ${num(r.bareHono.p50, 1)} ${num(r.bareHono.p99, 1)} ${cpuOf(r.bareHono)}`);
  console.log(`${pad('', width)}node:http ${num(r.bareNode.rps)} ${num(r.bareNode.p50, 1)} ${num(r.bareNode.p99, 1)} ${cpuOf(r.bareNode)}`);
  const cpu = r.cpuRatioNode === null ? '' : `; CPU per request: node:http / flowgate = ${r.cpuRatioNode.toFixed(2)}x`;
  console.log(`${pad('', width)}flowgate / bare hono = ${r.ratio.toFixed(2)}x, flowgate / node:http = ${r.ratioNode.toFixed(2)}x (p99 ${r.p99Node.toFixed(2)}x)${cpu}`);
}

writeFileSync(
  join(resultsDir, 'http.json'),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, model, connections: CONNECTIONS, duration: DURATION, results }, null, 2),
);
process.exit(0);
