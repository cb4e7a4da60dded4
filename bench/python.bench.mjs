#!/usr/bin/env node
/**
 * The Python runtime against `mlflow models serve`, with the same number of Python processes:
 * flowgate with --python-workers N against MLflow's scoring server with -w N gunicorn workers (N = 1, 2),
 * on a custom pyfunc model (../shared/fixtures/mlflow-real-pyfunc/models/pyfunc_custom_artifacts: a
 * PythonModel with an sklearn artifact), POSTing its serving input example.
 * autocannon, loopback only, c=16; both servers must answer the same bytes first; then warm-up and the
 * order A B B A. Prints req/s, p50/p99 and flowgate / MLflow; saves bench/.results/python.json.
 *
 * Needs `npm run build` and a Python where `import mlflow` works (`. ../shared/tools/real-mlflow/env.sh`);
 * without it the bench says so and exits 0. Knobs: FLOWGATE_PYTHON (default python3), BENCH_DURATION (s,
 * default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS (default 16), BENCH_MODEL (a model dir).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from './ports.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PYTHON = process.env.FLOWGATE_PYTHON ?? 'python3';
const MODEL = process.env.BENCH_MODEL ?? join(repo, '..', 'shared', 'fixtures', 'mlflow-real-pyfunc', 'models', 'pyfunc_custom_artifacts');
const READY_TIMEOUT_MS = 180_000;

const entry = join(repo, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('dist/src/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}
if (!existsSync(join(MODEL, 'MLmodel'))) {
  console.log(`skipped: no model at ${MODEL} (../shared absent; set BENCH_MODEL)`);
  process.exit(0);
}
if (spawnSync(PYTHON, ['-c', 'import mlflow.pyfunc'], { stdio: 'ignore' }).status !== 0) {
  console.log(`skipped: \`import mlflow\` fails in ${PYTHON} (run \`. ../shared/tools/real-mlflow/env.sh\`, or set FLOWGATE_PYTHON)`);
  process.exit(0);
}

const children = [];
/** Starts a server in its own process group (gunicorn forks workers; stopping kills the group). */
async function startServer(name, command, args) {
  const port = await freePort();
  const child = spawn(command, args(port), { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}):\n${stderr}`);
    if (await fetch(`${url}/ping`).then((r) => r.ok, () => false)) return { url, child };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name}: ${url}/ping not ready after ${READY_TIMEOUT_MS / 1000} s`);
}
function stop(child) {
  if (child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
process.on('exit', () => children.forEach(stop));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));

const body = readFileSync(join(MODEL, 'serving_input_example.json'), 'utf8');

async function answer(url) {
  const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** A load run; a non-2xx answer aborts. Connection errors are counted, not fatal: gunicorn's sync workers
 * answer `Connection: close`, and autocannon counts a connection closed under it as an error. */
async function run(url, duration) {
  const r = await autocannon({ url: `${url}/invocations`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration });
  if (r.non2xx > 0) throw new Error(`${url}: ${r.non2xx} non-2xx responses`);
  return r;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (rs) => ({
  rps: mean(rs.map((r) => r.requests.average)),
  p50: mean(rs.map((r) => r.latency.p50)),
  p99: mean(rs.map((r) => r.latency.p99)),
  errors: rs.reduce((n, r) => n + r.errors + r.timeouts, 0),
});

console.log(`model ${MODEL}\npython ${PYTHON}`);
console.log(`autocannon c=${CONNECTIONS}, ${WARMUP} s warm-up + ${DURATION} s per server and case, loopback, node ${process.version}`);
const [load1] = loadavg();
if (load1 > availableParallelism()) console.log(`warning: load average ${load1.toFixed(1)} on ${availableParallelism()} CPUs; other work on this machine skews the numbers`);

const results = [];
for (const workers of [1, 2]) {
  const flowgate = await startServer('flowgate', process.execPath, (port) => [
    entry, 'serve', '-m', MODEL, '-h', '127.0.0.1', '-p', String(port), '--poll-interval', '0', '--log-level', 'warn',
    '--python', PYTHON, '--python-workers', String(workers),
  ]);
  const mlflow = await startServer('mlflow models serve', PYTHON, (port) => [
    '-m', 'mlflow', 'models', 'serve', '-m', MODEL, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port), '-w', String(workers),
  ]);
  const [ours, theirs] = [await answer(flowgate.url), await answer(mlflow.url)];
  if (ours !== theirs) throw new Error(`the answers differ:\nflowgate ${ours}\nmlflow   ${theirs}`);
  for (const s of [flowgate, mlflow]) await run(s.url, WARMUP);
  const runs = { flowgate: [], mlflow: [] };
  for (const name of ['mlflow', 'flowgate', 'flowgate', 'mlflow']) runs[name].push(await run((name === 'flowgate' ? flowgate : mlflow).url, Math.max(1, DURATION / 2)));
  const f = summary(runs.flowgate);
  const m = summary(runs.mlflow);
  results.push({ case: `${workers} Python process${workers > 1 ? 'es' : ''}`, flowgate: f, mlflow: m, ratio: f.rps / m.rps });
  stop(flowgate.child);
  stop(mlflow.child);
}

const num = (x, digits = 0) => x.toFixed(digits).padStart(9);
console.log(`\ncase                              req/s    p50 ms    p99 ms   conn. errors`);
for (const r of results) {
  console.log(`${r.case.padEnd(22)}flowgate ${num(r.flowgate.rps)} ${num(r.flowgate.p50, 1)} ${num(r.flowgate.p99, 1)} ${num(r.flowgate.errors)}`);
  console.log(`${''.padEnd(22)}mlflow   ${num(r.mlflow.rps)} ${num(r.mlflow.p50, 1)} ${num(r.mlflow.p99, 1)} ${num(r.mlflow.errors)}`);
  console.log(`${''.padEnd(22)}flowgate / mlflow = ${r.ratio.toFixed(2)}x`);
}
const resultsDir = join(repo, 'bench', '.results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'python.json'), `${JSON.stringify({ model: MODEL, python: PYTHON, connections: CONNECTIONS, duration: DURATION, loadavg: loadavg(), results }, null, 2)}\n`);
