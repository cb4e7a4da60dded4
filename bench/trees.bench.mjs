#!/usr/bin/env node
/**
 * Tree ensembles: 100k-row predictions of a 500-tree depth-8 model, flowgate's native
 * evaluation (the xgboost / lightgbm flavor's predict, input frame → output tensor) against the
 * library's own Python predict on the same machine, in the same run. Prints both times and
 * flowgate's speed-up; saves bench/.results/trees.json.
 *
 * Python side (best of BENCH_REPEATS): XGBoost 1.7 (Debian's python3): the faster of
 * `booster.predict(DMatrix(X))` (what mlflow.xgboost's pyfunc runs) and `booster.inplace_predict(X)`;
 * LightGBM 4.7 (.venv-ref): `booster.predict(X)`. Both use every core, as flowgate does.
 * Rows: 20 float features, either dense or with 5 % NaN (flowgate's general kernel).
 *
 * Needs `npm run build`. The trained models are cached in bench/.results/trees/.
 * Knobs: BENCH_ROWS (default 100000), BENCH_REPEATS (default 5), BENCH_TREES (default 500).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const TREES = Number(process.env.BENCH_TREES ?? 500);
const FEATURES = 20;
const DEPTH = 8;
const work = join(repo, 'bench', '.results', 'trees');

const PYTHON = String.raw`
import json, os, sys, time
import numpy as np
lib, work, rows, trees, depth, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = np.random.default_rng(0)
F = 20
def signal(X):
    return 2 * X[:, 0] + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 3] + np.abs(X[:, 4])
Xte = rng.normal(size=(rows, F))
Xnan = Xte.copy(); Xnan[rng.random(Xnan.shape) < 0.05] = np.nan
Xte.astype('<f8').tofile(os.path.join(work, 'X.f64'))
Xnan.astype('<f8').tofile(os.path.join(work, 'Xnan.f64'))
def best(fn):
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return min(times) * 1000, out
result = {}
if lib == 'xgboost':
    import xgboost as xgb
    path = os.path.join(work, f'xgb_{trees}_{depth}.json')
    if not os.path.exists(path):
        Xtr = rng.normal(size=(20000, F)); y = signal(Xtr) + rng.normal(scale=0.3, size=20000)
        Xtr[rng.random(Xtr.shape) < 0.05] = np.nan
        b = xgb.train({'max_depth': depth, 'eta': 0.05, 'tree_method': 'hist', 'seed': 0}, xgb.DMatrix(Xtr, label=y), trees)
        b.save_model(path)
    b = xgb.Booster(model_file=path)
    result['version'] = xgb.__version__
    for name, X in (('dense', Xte), ('nan', Xnan)):
        dm_ms, p = best(lambda: b.predict(xgb.DMatrix(X)))
        ip_ms, _ = best(lambda: b.inplace_predict(X))
        p.astype('<f8').tofile(os.path.join(work, f'xgb_pred_{name}.f64'))
        result[name] = {'dmatrix_predict_ms': dm_ms, 'inplace_predict_ms': ip_ms, 'ms': min(dm_ms, ip_ms)}
    result['model'] = path
else:
    import lightgbm as lgb
    path = os.path.join(work, f'lgb_{trees}_{depth}.txt')
    if not os.path.exists(path):
        Xtr = rng.normal(size=(20000, F)); y = signal(Xtr) + rng.normal(scale=0.3, size=20000)
        Xtr[rng.random(Xtr.shape) < 0.05] = np.nan
        params = {'objective': 'regression', 'max_depth': depth, 'num_leaves': 2 ** depth - 1, 'min_data_in_leaf': 5,
                  'learning_rate': 0.05, 'verbose': -1, 'seed': 0}
        lgb.train(params, lgb.Dataset(Xtr, label=y), trees).save_model(path)
    b = lgb.Booster(model_file=path)
    result['version'] = lgb.__version__
    for name, X in (('dense', Xte), ('nan', Xnan)):
        ms, p = best(lambda: b.predict(X))
        p.astype('<f8').tofile(os.path.join(work, f'lgb_pred_{name}.f64'))
        result[name] = {'predict_ms': ms, 'ms': ms}
    result['model'] = path
print(json.dumps(result))
`;

function python(lib) {
  const exe = lib === 'xgboost' ? '/usr/bin/python3' : join(repo, '.venv-ref', 'bin', 'python');
  const run = spawnSync(exe, ['-P', '-c', PYTHON, lib, work, String(ROWS), String(TREES), String(DEPTH), String(REPEATS)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`${lib} reference failed (${exe}): ${run.stderr || run.error}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

function readF64(path) {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The frame the codec would hand the flavor: 20 float64 columns. */
function frameOf(X) {
  const names = Array.from({ length: FEATURES }, (_, j) => `f${j}`);
  const columns = names.map((_, j) => ({ dtype: 'float64', values: Float64Array.from({ length: ROWS }, (_, r) => X[r * FEATURES + j]) }));
  return { kind: 'frame', names, columns, rows: ROWS };
}

async function flowgate(model, X, expected) {
  const input = frameOf(X);
  const times = [];
  let out;
  for (let i = 0; i < REPEATS + 1; i++) {
    const t = performance.now();
    out = await model.predict(input, {});
    if (i > 0) times.push(performance.now() - t); // the first call warms up JIT and workers
  }
  let worst = 0;
  for (let i = 0; i < ROWS; i++) worst = Math.max(worst, Math.abs(out.tensor.values[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-6));
  return { ms: Math.min(...times), maxRelDiff: worst };
}

const distXgb = join(repo, 'dist', 'flavors', 'xgboost', 'index.js');
if (!existsSync(distXgb)) {
  console.error('trees bench: run `npm run build` first (dist/ is missing)');
  process.exit(1);
}
mkdirSync(work, { recursive: true });
const { xgboostFlavor } = await import(distXgb);
const { lightgbmFlavor } = await import(join(repo, 'dist', 'flavors', 'lightgbm', 'index.js'));
const { parseMLmodel } = await import(join(repo, 'dist', 'src', 'model', 'mlmodel.js'));
const pino = (await import('pino')).default;
const logger = pino({ level: 'silent' });

console.log(`${ROWS} rows × ${FEATURES} features, ${TREES} trees of depth ${DEPTH}, best of ${REPEATS}, ${availableParallelism()} cores`);
const results = { rows: ROWS, trees: TREES, depth: DEPTH, cores: availableParallelism(), libraries: {} };
for (const lib of ['xgboost', 'lightgbm']) {
  let ref;
  try {
    ref = python(lib);
  } catch (err) {
    console.log(`${lib}: skipped (${err.message.split('\n')[0]})`);
    continue;
  }
  const short = lib === 'xgboost' ? 'xgb' : 'lgb';
  const modelDir = dirname(ref.model);
  const file = ref.model.slice(modelDir.length + 1);
  const flavor = lib === 'xgboost' ? xgboostFlavor : lightgbmFlavor;
  const t0 = performance.now();
  const model = await flavor.load(modelDir, parseMLmodel(JSON.stringify({ flavors: { [lib]: { data: file } } })), { logger });
  const loadMs = performance.now() - t0;
  results.libraries[lib] = { version: ref.version, loadMs };
  for (const rows of ['dense', 'nan']) {
    const ours = await flowgate(model, readF64(join(work, rows === 'dense' ? 'X.f64' : 'Xnan.f64')), readF64(join(work, `${short}_pred_${rows}.f64`)));
    const speedup = ref[rows].ms / ours.ms;
    results.libraries[lib][rows] = { python: ref[rows], flowgate: ours, speedup };
    console.log(
      `${lib} ${ref.version} ${rows.padEnd(5)}  python ${ref[rows].ms.toFixed(0).padStart(6)} ms   flowgate ${ours.ms.toFixed(0).padStart(6)} ms   ` +
        `flowgate is ${speedup.toFixed(2)}x ${speedup >= 1 ? 'faster' : 'SLOWER'}   (max rel diff ${ours.maxRelDiff.toExponential(1)})`,
    );
  }
  console.log(`${lib}: model load ${loadMs.toFixed(0)} ms`);
  await model.dispose();
}
writeFileSync(join(repo, 'bench', '.results', 'trees.json'), `${JSON.stringify(results, null, 2)}\n`);
