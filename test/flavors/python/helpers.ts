/**
 * Pythons for the Python runtime's tests, and a probe model: a custom `loader_module`
 * flavor (numpy + pandas only, no mlflow, so CI's Debian python3 runs it) whose predict
 * can crash, hang or raise on demand and reports the pid of the worker that ran it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

function canImport(python: string, modules: string): boolean {
  const r = spawnSync(python, ['-c', `import ${modules}`], { stdio: 'ignore', timeout: 120_000 });
  return r.status === 0;
}

const candidates = [...new Set([process.env.FLOWGATE_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];

/** The first Python (FLOWGATE_PYTHON, python3, /usr/bin/python3) that imports `modules`, or null. */
export function findPython(modules: string): string | null {
  return candidates.find((p) => canImport(p, modules)) ?? null;
}

/** A Python with numpy and pandas (what the worker needs). */
export const PLAIN_PYTHON = findPython('numpy, pandas');
export const NO_PLAIN_PYTHON = `no Python with numpy and pandas among ${candidates.join(', ')} (apt-get install python3-numpy python3-pandas): skipping`;

/** A Python where `import mlflow` works (e.g. after `. ../shared/tools/real-mlflow/env.sh`). */
export const MLFLOW_PYTHON = PLAIN_PYTHON === null ? null : findPython('mlflow.pyfunc');
export const NO_MLFLOW_PYTHON = `\`import mlflow\` fails in ${candidates.join(', ')}: skipping the models that need mlflow (run \`. ../shared/tools/real-mlflow/env.sh\` first)`;

/** A Python with mlflow and torch: FLOWGATE_TEST_TORCH_PYTHON (a venv with the wheelhouse's torch, same PYTHONPATH). */
const torchCandidate = process.env.FLOWGATE_TEST_TORCH_PYTHON;
export const TORCH_PYTHON = torchCandidate && canImport(torchCandidate, 'torch, mlflow.pytorch, pandas') ? torchCandidate : null;
export const NO_TORCH_PYTHON = 'set FLOWGATE_TEST_TORCH_PYTHON to a Python with torch, numpy, pandas and mlflow importable: skipping pytorch_mlp';

const PROBE_FLAVOR = `
import json
import os
import time

import pandas as pd


class Probe:
    def __init__(self, path):
        with open(path) as f:
            self.conf = json.load(f)

    def predict(self, model_input, params=None):
        x = model_input["x"]
        first = float(x.iloc[0])
        if first == -1:
            os._exit(3)
        if first == -2:
            time.sleep(3600)
        if first == -3:
            raise ValueError("the probe refuses -3")
        delay = (params or {}).get("delay") or 0.0
        if delay:
            time.sleep(delay)
        print(f"probe predicted {len(model_input)} rows", flush=True)
        return pd.DataFrame({"y": x * self.conf["scale"], "pid": os.getpid(), "version": self.conf["version"]})


def _load_pyfunc(path):
    return Probe(path)
`;

const MISSING_FLAVOR = `
import flowgate_missing_dependency_xyz  # noqa: F401


def _load_pyfunc(path):
    raise AssertionError("never reached")
`;

function mlmodel(loader: string): string {
  return `flavors:
  python_function:
    code: code
    data: data/conf.json
    env:
      virtualenv: python_env.yaml
    loader_module: ${loader}
    python_version: 3.11.2
mlflow_version: 2.17.2
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: null
  params: '[{"name": "delay", "type": "double", "default": 0.0, "shape": null}]'
`;
}

/** Writes a probe model into `dir` (created): predict returns y = x * scale, the worker's pid and `version`. */
export function writeProbeModel(dir: string, options: { scale?: number; version?: string } = {}): string {
  mkdirSync(join(dir, 'code'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), mlmodel('probe_flavor'));
  writeFileSync(join(dir, 'code', 'probe_flavor.py'), PROBE_FLAVOR);
  writeFileSync(join(dir, 'data', 'conf.json'), JSON.stringify({ scale: options.scale ?? 2, version: options.version ?? 'v1' }));
  writeFileSync(join(dir, 'python_env.yaml'), 'python: 3.11.2\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n');
  writeFileSync(join(dir, 'requirements.txt'), 'numpy\npandas\n');
  return dir;
}

/** A model whose loader module imports a module no Python has. */
export function writeMissingDependencyModel(dir: string): string {
  mkdirSync(join(dir, 'code'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), mlmodel('needs_missing'));
  writeFileSync(join(dir, 'code', 'needs_missing.py'), MISSING_FLAVOR);
  writeFileSync(join(dir, 'data', 'conf.json'), '{}');
  writeFileSync(join(dir, 'python_env.yaml'), 'python: 3.11.2\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n');
  writeFileSync(join(dir, 'requirements.txt'), 'numpy\npandas\nflowgate-missing-dependency-xyz==1.0\n');
  return dir;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A logger whose lines are kept, to check what reached flowgate's log. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export async function invoke(url: string, rows: number[], params?: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify({ dataframe_split: { columns: ['x'], data: rows.map((x) => [x]) }, ...(params ? { params } : {}) });
  const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/** The pids of the records a probe returned. */
export function pidsOf(body: Record<string, unknown>): number[] {
  return (body.predictions as { pid: number }[]).map((r) => r.pid);
}
