#!/usr/bin/env node
/**
 * TensorFlow/Keras predict latency and throughput: flowgate's tensorflow/keras flavors on
 * tfjs-layers (WebAssembly backend) and, when its addon is built, on tfjs-node (SavedModel,
 * and the same Keras model on the 'tensorflow' backend), against Keras' own `model.predict`
 * in Python (.venv-tf, as MLflow's pyfunc calls it) on the same machine, in the same run.
 *
 * Models: the real-MLflow iris MLP (../shared/fixtures/mlflow-real-tf) and its Keras export;
 * the generated CNN (test/.generated/tensorflow/keras_cnn, `npm run fixtures`).
 * Needs `npm run build`. Knobs: BENCH_REPEATS (default 200 single-row calls), BENCH_ROWS
 * (default 1000 rows per batch call). Saves bench/.results/tensorflow.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 200);
const ROWS = Number(process.env.BENCH_ROWS ?? 1000);
const fixtures = join(repo, '..', 'shared', 'fixtures', 'mlflow-real-tf', 'models');
const dist = join(repo, 'dist', 'flavors', 'tensorflow', 'index.js');
if (!existsSync(dist)) {
  console.error('tensorflow bench: run `npm run build` first (dist/ is missing)');
  process.exit(1);
}
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const { tensorflowFlavor, kerasFlavor } = await import(dist);
const { readMLmodel } = await import(join(repo, 'dist', 'src', 'model', 'mlmodel.js'));
const { tf } = await import(join(repo, 'dist', 'flavors', 'tensorflow', 'tfjs.js'));
const logger = pino({ level: 'silent' });

const MODELS = [
  { name: 'iris_mlp', flavor: tensorflowFlavor, dir: join(fixtures, 'tf_keras_iris_mlp'), file: 'data/model.keras', shape: [4] },
  { name: 'cnn_12x12', flavor: kerasFlavor, dir: join(repo, 'test', '.generated', 'tensorflow', 'keras_cnn'), file: 'data/model.keras', shape: [12, 12, 1] },
];
const SAVED_MODEL = { name: 'iris_mlp_export', flavor: kerasFlavor, dir: join(fixtures, 'keras3_iris_mlp_exported'), shape: [4] };
const haveTfjsNode = existsSync(join(repo, 'node_modules', '@tensorflow', 'tfjs-node', 'lib', 'napi-v8', 'tfjs_binding.node'));

function input(shape, rows) {
  const n = rows * shape.reduce((a, b) => a * b, 1);
  return { kind: 'tensor', tensor: { dtype: 'float32', shape: [rows, ...shape], values: Float64Array.from({ length: n }, (_, i) => ((i * 7) % 13) / 13) } };
}

async function measure(model, shape) {
  const one = input(shape, 1);
  const batch = input(shape, ROWS);
  // Warm up for a second: V8 and tfjs reach their steady per-call cost only after hundreds of calls.
  for (const until = performance.now() + 1000; performance.now() < until; ) await model.predict(one, {});
  let start = performance.now();
  for (let i = 0; i < REPEATS; i++) await model.predict(one, {});
  const singleMs = (performance.now() - start) / REPEATS;
  await model.predict(batch, {});
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    start = performance.now();
    await model.predict(batch, {});
    best = Math.min(best, performance.now() - start);
  }
  return { single_row_ms: singleMs, batch_ms: best, rows_per_s: Math.round((ROWS / best) * 1000) };
}

async function run(spec, label) {
  if (!existsSync(spec.dir)) return console.log(`${spec.name}: ${spec.dir} missing, skipped`);
  const t0 = performance.now();
  const model = await spec.flavor.load(spec.dir, await readMLmodel(spec.dir), { logger });
  const loadMs = performance.now() - t0;
  const r = { model: spec.name, runtime: label, backend: tf.getBackend(), load_ms: loadMs, ...(await measure(model, spec.shape)), model_ref: model };
  return r;
}

const PYTHON = String.raw`
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
path, shape, repeats, rows = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
model = keras.saving.load_model(path)
def data(n):
    k = n * int(np.prod(shape))
    return (((np.arange(k) * 7) % 13) / 13).astype("float32").reshape([n] + shape)
one, batch = data(1), data(rows)
for _ in range(20): model.predict(one, verbose=0)
t = time.perf_counter()
for _ in range(repeats): model.predict(one, verbose=0)
single = (time.perf_counter() - t) / repeats * 1000
best = min((lambda t0: (model.predict(batch, verbose=0), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5)) * 1000
print(json.dumps({"single_row_ms": single, "batch_ms": best, "rows_per_s": round(rows / best * 1000)}))
`;

function keras(spec) {
  const python = join(repo, '.venv-tf', 'bin', 'python');
  if (!existsSync(python) || !existsSync(spec.dir)) return null;
  const res = spawnSync(python, ['-c', PYTHON, join(spec.dir, spec.file), JSON.stringify(spec.shape), String(REPEATS), String(ROWS)], { encoding: 'utf8' });
  if (res.status !== 0) {
    console.error(`keras (${spec.name}) failed:\n${res.stderr.slice(-2000)}`);
    return null;
  }
  return { model: spec.name, runtime: 'keras.predict (Python)', ...JSON.parse(res.stdout.trim().split('\n').pop()) };
}

const results = [];
const loaded = [];
for (const spec of MODELS) {
  const r = await run(spec, 'tfjs-layers');
  if (r) (loaded.push([spec, r.model_ref]), results.push(r));
  const k = keras(spec);
  if (k) results.push(k);
}
if (haveTfjsNode) {
  const r = await run(SAVED_MODEL, 'tfjs-node SavedModel');
  if (r) results.push(r);
  // The Keras models again, now that tfjs-node is the process' backend.
  for (const [spec, model] of loaded) results.push({ model: spec.name, runtime: 'tfjs-layers', backend: tf.getBackend(), ...(await measure(model, spec.shape)) });
} else {
  console.log('tfjs-node addon not built (bash scripts/build-tfjs-node.sh): SavedModel rows skipped');
}

const rows = results.map(({ model_ref: _m, ...r }) => r);
console.log(`\n${'model'.padEnd(16)}${'runtime'.padEnd(26)}${'backend'.padEnd(12)}${'1 row ms'.padStart(10)}${`${ROWS} rows ms`.padStart(14)}${'rows/s'.padStart(12)}`);
for (const r of rows) {
  console.log(`${r.model.padEnd(16)}${r.runtime.padEnd(26)}${(r.backend ?? '-').padEnd(12)}${r.single_row_ms.toFixed(3).padStart(10)}${r.batch_ms.toFixed(2).padStart(14)}${String(r.rows_per_s).padStart(12)}`);
}
mkdirSync(join(repo, 'bench', '.results'), { recursive: true });
writeFileSync(join(repo, 'bench', '.results', 'tensorflow.json'), JSON.stringify({ repeats: REPEATS, rows: ROWS, results: rows }, null, 2));
