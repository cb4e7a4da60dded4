#!/usr/bin/env node
/**
 * What tracing costs when it is off (no OTLP endpoint, no --otel), in one process:
 *
 * 1. The hooks, exactly as the request path calls them (route with its attribute object, decode,
 *    predict with its lazy attributes and a promise, encode), against the same calls with no hook:
 *    what a build without tracing would run. Measured in the order A B B A; the difference per
 *    request is the hooks' whole cost (the HTTP middleware is not installed when off).
 * 2. A request through the real scorer (the example iris ONNX model, MLflow JSON, inline), with
 *    tracing off: what that cost is compared with.
 *
 * Prints ns per request for both loops, the request's µs, and the hooks' share of a request;
 * saves bench/.results/tracing.json. Needs `npm run build`. Knobs: BENCH_HOOK_ITERATIONS
 * (default 2,000,000), BENCH_REQUESTS (default 3,000).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist', 'src');
if (!existsSync(join(dist, 'tracing.js'))) {
  console.error('dist/src/tracing.js is missing: run `npm run build` first');
  process.exit(1);
}
const HOOK_ITERATIONS = Number(process.env.BENCH_HOOK_ITERATIONS ?? 2_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3_000);

const { traced, tracingEnabled } = await import(join(dist, 'tracing.js'));
const { Metrics } = await import(join(dist, 'metrics.js'));
const { Scorer } = await import(join(dist, 'serving', 'scorer.js'));
const { SCORING_CODECS } = await import(join(dist, 'serving', 'codec.js'));
const { LoadedVersion } = await import(join(dist, 'serving', 'loaded-version.js'));
const { ServedModel } = await import(join(dist, 'serving', 'served-model.js'));
const { pino } = await import('pino');
if (tracingEnabled()) throw new Error('tracing is on in the bench process');

// ---- 1. the hooks as called per request, against no hooks --------------------------------
let sink = 0;
const route = (i) => (sink += i & 1);
const decode = (i) => ({ input: i, params: null });
const predict = async (d) => d.input + 1;
const encode = (out) => (sink += out);
const attributes = (i) => ({ 'flowgate.endpoint': 'iris', 'flowgate.rows': i });

async function hooked(n) {
  for (let i = 0; i < n; i++) {
    traced('route', () => route(i), { 'flowgate.endpoint': 'iris' });
    const d = traced('decode', () => decode(i));
    const out = await traced('predict', () => predict(d), () => attributes(i));
    traced('encode', () => encode(out));
  }
}

async function bare(n) {
  for (let i = 0; i < n; i++) {
    route(i);
    const d = decode(i);
    const out = await predict(d);
    encode(out);
  }
}

async function nsPerRequest(loop, n) {
  const start = process.hrtime.bigint();
  await loop(n);
  return Number(process.hrtime.bigint() - start) / n;
}

await hooked(HOOK_ITERATIONS / 10); // warm-up: both shapes optimised before measuring
await bare(HOOK_ITERATIONS / 10);
const hookRuns = [];
for (const [name, loop] of [['hooked', hooked], ['bare', bare], ['bare', bare], ['hooked', hooked]]) {
  hookRuns.push({ name, ns: await nsPerRequest(loop, HOOK_ITERATIONS) });
}
const mean = (name) => hookRuns.filter((r) => r.name === name).reduce((s, r) => s + r.ns, 0) / 2;
const hookedNs = mean('hooked');
const bareNs = mean('bare');

// ---- 2. a request through the real scorer, tracing off ------------------------------------
const logger = pino({ level: 'silent' });
const modelDir = join(repo, 'examples', 'mlruns', '5961017763020710401', 'd452341f19d94e2b9e6f33d199b1d244', 'artifacts', 'model');
const version = await LoadedVersion.load({ name: 'iris', version: '1', uri: 'models:/iris/1', localPath: modelDir }, logger);
const served = new ServedModel('iris');
await served.swap(version);
const variant = { name: 'default', model: { served }, labels: { endpoint: 'iris', variant: 'default' } };
const endpoint = {
  name: 'iris',
  stickyPath: null,
  shadows: [],
  route: () => variant,
  pinnedVariant: () => variant,
  remembersPredictions: false,
  observed: () => undefined,
  observedShadow: () => undefined,
  answered: () => undefined,
};
const scorer = new Scorer({ metrics: new Metrics(), logger, timeoutSeconds: 30, maxQueue: 1024 });
const body = JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] });
async function score(n) {
  for (let i = 0; i < n; i++) {
    const outcome = await scorer.score({ endpoint, codec: SCORING_CODECS.json, body, header: () => undefined, requestId: String(i) });
    if (!outcome.ok) throw outcome.error;
  }
}
await score(REQUESTS / 10);
const requestNs = await nsPerRequest(score, REQUESTS);
await served.close();

// ---- report --------------------------------------------------------------------------------
const hookNs = hookedNs - bareNs;
const share = hookNs / requestNs;
console.log(`load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs; ${HOOK_ITERATIONS} hook iterations per run, ${REQUESTS} requests`);
for (const r of hookRuns) console.log(`  ${r.name.padEnd(7)} ${r.ns.toFixed(1)} ns per request`);
console.log(`hooks off: ${hookedNs.toFixed(1)} ns, no hooks: ${bareNs.toFixed(1)} ns; difference ${hookNs.toFixed(1)} ns per request`);
console.log(`a request through the scorer (tracing off): ${(requestNs / 1000).toFixed(1)} µs`);
console.log(`tracing off costs ${(share * 100).toFixed(3)} % of a request (ratio with/without hooks: ${((requestNs + hookNs) / requestNs).toFixed(5)})`);
mkdirSync(join(repo, 'bench', '.results'), { recursive: true });
writeFileSync(
  join(repo, 'bench', '.results', 'tracing.json'),
  JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg()[0], hookRuns, hookNs, requestNs, share }, null, 2),
);
