#!/usr/bin/env node
/**
 * scikit-learn RandomForestClassifier (100 trees, default depth) predictions on 10k rows:
 * flowgate's sklearn flavor (unpickled model, input frame → label tensor) against sklearn's own
 * `model.predict(X)` in Python on the same machine, in the same run. Prints both times and
 * the ratio; checks that every label agrees; saves bench/.results/sklearn.json.
 *
 * Python: scikit-learn 1.9.1 from .venv-ref (else Debian's python3 with 1.2.1), best of
 * BENCH_REPEATS, predict with the model's default n_jobs (one thread), as MLflow serves it.
 * flowgate: one thread, best of BENCH_REPEATS after a warm-up.
 *
 * Needs `npm run build`. The trained model is cached in bench/.results/sklearn/.
 * Knobs: BENCH_ROWS (default 10000), BENCH_REPEATS (default 5), BENCH_TREES (default 100).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const TREES = Number(process.env.BENCH_TREES ?? 100);
const FEATURES = 20;
const work = join(repo, 'bench', '.results', 'sklearn');

const PYTHON = String.raw`
import json, os, pickle, sys, time, warnings
import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
warnings.filterwarnings("ignore")
work, rows, trees, repeats, F = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(0)
def labels(X):
    s = 2 * X[:, 0] + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 3] + np.abs(X[:, 4]) + rng.normal(scale=0.5, size=len(X))
    return np.digitize(s, [-1.0, 0.5, 2.0])
path = os.path.join(work, f"rf_{trees}_{sklearn.__version__}.pkl")
if not os.path.exists(path):
    Xtr = rng.normal(size=(20000, F))
    model = RandomForestClassifier(n_estimators=trees, random_state=0).fit(Xtr, labels(Xtr))
    with open(path, "wb") as f:
        pickle.dump(model, f)
with open(path, "rb") as f:
    model = pickle.load(f)
X = rng.normal(size=(rows, F))
X.astype("<f8").tofile(os.path.join(work, "X.f64"))
times = []
for _ in range(repeats):
    t = time.perf_counter(); pred = model.predict(X); times.append(time.perf_counter() - t)
pred.astype("<f8").tofile(os.path.join(work, "pred.f64"))
nodes = sum(e.tree_.node_count for e in model.estimators_)
print(json.dumps({"sklearn": sklearn.__version__, "ms": min(times) * 1000, "model": path, "nodes": nodes}))
`;

const distSklearn = join(repo, 'dist', 'flavors', 'sklearn', 'index.js');
if (!existsSync(distSklearn)) {
  console.error('sklearn bench: run `npm run build` first (dist/ is missing)');
  process.exit(1);
}
const { readSklearnModel } = await import(distSklearn);

const venv = join(repo, '.venv-ref', 'bin', 'python');
const python = existsSync(venv) ? venv : '/usr/bin/python3';
mkdirSync(work, { recursive: true });
const run = spawnSync(python, ['-c', PYTHON, work, String(ROWS), String(TREES), String(REPEATS), String(FEATURES)], { encoding: 'utf8' });
if (run.status !== 0) {
  console.error(`sklearn bench: ${python} failed:\n${run.stderr}`);
  process.exit(1);
}
const py = JSON.parse(run.stdout.trim().split('\n').pop());

const flat = new Float64Array(readFileSync(join(work, 'X.f64')).buffer.slice(0));
const columns = Array.from({ length: FEATURES }, (_, j) => ({
  dtype: 'float64',
  values: Float64Array.from({ length: ROWS }, (_, i) => flat[i * FEATURES + j]),
}));
const X = { rows: ROWS, names: null, columns };

const loadStart = performance.now();
const estimator = readSklearnModel(readFileSync(py.model), 'model.pkl');
const loadMs = performance.now() - loadStart;
await estimator.predict(X);
const times = [];
let out;
for (let r = 0; r < REPEATS; r++) {
  const t = performance.now();
  out = await estimator.predict(X);
  times.push(performance.now() - t);
}
const flowgateMs = Math.min(...times);

const expected = new Float64Array(readFileSync(join(work, 'pred.f64')).buffer.slice(0));
let differ = 0;
for (let i = 0; i < ROWS; i++) if (out.values[i] !== expected[i]) differ++;

const result = {
  case: `RandomForestClassifier(${TREES} trees, ${py.nodes} nodes) predict, ${ROWS} rows x ${FEATURES} features`,
  sklearn: py.sklearn,
  python_ms: py.ms,
  flowgate_ms: flowgateMs,
  flowgate_load_ms: loadMs,
  ratio_python_over_flowgate: py.ms / flowgateMs,
  labels_differing: differ,
};
console.log(result.case);
console.log(`  python sklearn ${py.sklearn}: ${py.ms.toFixed(1)} ms`);
console.log(`  flowgate:              ${flowgateMs.toFixed(1)} ms (model load ${loadMs.toFixed(0)} ms)`);
console.log(`  ratio python/flowgate: ${result.ratio_python_over_flowgate.toFixed(2)}x${differ === 0 ? '' : `  (${differ} labels differ!)`}`);
writeFileSync(join(repo, 'bench', '.results', 'sklearn.json'), `${JSON.stringify(result, null, 2)}\n`);
if (differ > 0) process.exit(1);
