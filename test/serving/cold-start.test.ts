/**
 * A cold start loads only what the served flavors need: `flowgate serve` of an sklearn model
 * (with a replica thread) or of an ONNX model never loads the OpenTelemetry SDK, SQLite,
 * the AWS SDK, TensorFlow.js, onnxruntime or the other flavors; they are imported on first
 * use. Proven by recording every module the child's main thread loads (no timing: under
 * load, a wall clock proves nothing). Runs dist/ (`npm run build` first).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { HAVE_SHARED, MLFLOW_REAL, SKIP_SHARED_MESSAGE } from '../helpers/fixtures.js';
import { startServeProcess } from '../helpers/serve-process.js';

const TRACE_HOOK = pathToFileURL(join(import.meta.dirname, '..', 'helpers', 'module-trace.mjs')).href;

/** The modules the main thread of `flowgate serve ARGS` has loaded once it serves (/ping 200). */
async function modulesLoadedServing(args: string[]): Promise<string[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'flowgate-modules-')), 'modules.txt');
  const serve = await startServeProcess([...args, '--shutdown-delay', '0', '--log-level', 'warn'], {
    env: { NODE_OPTIONS: `--import ${TRACE_HOOK}`, FLOWGATE_MODULE_TRACE: out },
  });
  try {
    expect((await fetch(`${serve.url}/ping`)).status).toBe(200);
  } finally {
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
  }
  return readFileSync(out, 'utf8').split('\n');
}

/** Packages that no serving of a local sklearn or ONNX model needs at start. */
const NEVER_AT_START = [
  /node_modules\/@opentelemetry\/(sdk-|exporter-|core|resources|otlp-|context-async-hooks)/,
  /node_modules\/better-sqlite3\//,
  /node_modules\/@aws-sdk\//,
  /node_modules\/@smithy\//,
  /node_modules\/@tensorflow\//,
  /node_modules\/h5wasm\//,
  /node_modules\/protobufjs\//,
  /\/dist\/src\/cli\/(predict|inspect|validate|rollout)\.js$/,
  /\/dist\/flavors\/tensorflow\//,
];

const matching = (modules: string[], patterns: RegExp[]) => modules.filter((m) => patterns.some((p) => p.test(m)));

describe.skipIf(!HAVE_SHARED)('what a cold start loads', () => {
  if (!HAVE_SHARED) console.warn(SKIP_SHARED_MESSAGE);

  // (an sklearn pipeline may hold XGBoost or LightGBM estimators: the sklearn flavor reads those itself)
  test('serving an sklearn model with a replica thread: no OpenTelemetry SDK, SQLite, AWS, tfjs, onnxruntime or other flavor', async () => {
    const modules = await modulesLoadedServing(['-m', join(MLFLOW_REAL, 'models', 'sk_iris_logreg'), '-w', '1']);
    // the trace sees what it should: the flavor served, the HTTP stack, the CommonJS metrics library
    expect(matching(modules, [/\/dist\/flavors\/sklearn\/index\.js$/])).toHaveLength(1);
    expect(matching(modules, [/node_modules\/hono\//]).length).toBeGreaterThan(0);
    expect(matching(modules, [/node_modules\/prom-client\//]).length).toBeGreaterThan(0);
    expect(matching(modules, [...NEVER_AT_START, /node_modules\/onnxruntime-(node|common)\//, /\/dist\/flavors\/(onnx|python\/(?!live))/])).toEqual([]);
  }, 90_000);

  test('serving an ONNX model: no sklearn flavor or unpickler, nor any of the above', async () => {
    const modules = await modulesLoadedServing(['-m', join(MLFLOW_REAL, 'models', 'onnx_iris_softmax'), '-w', '1']);
    expect(matching(modules, [/node_modules\/onnxruntime-node\//]).length).toBeGreaterThan(0);
    expect(matching(modules, [...NEVER_AT_START, /\/dist\/flavors\/(sklearn|trees|xgboost|lightgbm)\//, /\/dist\/src\/pickle\//])).toEqual([]);
  }, 90_000);
});
