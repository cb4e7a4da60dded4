/**
 * Which Python runs a model. `local` (the default, as MLflow's `--env-manager local`) uses
 * --python as is. `virtualenv` builds a venv per model from its python_env.yaml /
 * requirements.txt with the machine's own pip (so pip.conf, PIP_INDEX_URL, offline
 * wheelhouses and find-links apply), cached by a hash of the requirements: a second load
 * of the same requirements reuses it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { FlavorError } from '../../src/errors.js';
import type { PythonOptions } from '../../src/model/flavor.js';

const run = promisify(execFile);

/** What the model says it needs: python_env.yaml's Python and the pip requirements (requirements.txt). */
export interface ModelRequirements {
  python: string | null;
  buildDependencies: string[];
  /** requirement lines, `-r` files expanded */
  requirements: string[];
  /** the files these came from, relative to the model dir */
  files: string[];
}

export async function readRequirements(modelDir: string): Promise<ModelRequirements> {
  const out: ModelRequirements = { python: null, buildDependencies: [], requirements: [], files: [] };
  let dependencies: string[] = ['-r requirements.txt'];
  const envText = await readFile(join(modelDir, 'python_env.yaml'), 'utf8').catch(() => null);
  if (envText !== null) {
    out.files.push('python_env.yaml');
    const env = (parseYaml(envText) ?? {}) as { python?: unknown; build_dependencies?: unknown; dependencies?: unknown };
    out.python = env.python === undefined || env.python === null ? null : String(env.python);
    if (Array.isArray(env.build_dependencies)) out.buildDependencies = env.build_dependencies.map(String);
    if (Array.isArray(env.dependencies)) dependencies = env.dependencies.map(String);
  }
  for (const dep of dependencies) {
    const file = /^-r\s+(.+)$/.exec(dep.trim())?.[1];
    if (file === undefined) {
      out.requirements.push(dep.trim());
      continue;
    }
    const text = await readFile(join(modelDir, file), 'utf8').catch(() => null);
    if (text === null) continue;
    out.files.push(file);
    for (const line of text.split('\n')) {
      const l = line.trim();
      if (l !== '' && !l.startsWith('#')) out.requirements.push(l);
    }
  }
  return out;
}

/** The Python that runs this model: --python itself, or the model's cached virtualenv. */
export async function pythonFor(modelDir: string, options: PythonOptions, logger: Logger): Promise<string> {
  if (options.envManager === 'local') return options.executable;
  const needs = await readRequirements(modelDir);
  const base = await baseInterpreter(options.executable);
  if (needs.python !== null && !needs.python.startsWith(`${base.version.split('.').slice(0, 2).join('.')}`)) {
    logger.warn({ python: base.path, python_version: base.version, model_python: needs.python }, `the model was saved with Python ${needs.python}; its virtualenv uses ${base.path} (${base.version})`);
  }
  const key = createHash('sha256')
    .update(JSON.stringify({ python: base.path, version: base.version, build: needs.buildDependencies, requirements: needs.requirements }))
    .digest('hex')
    .slice(0, 20);
  const dir = join(options.envCacheDir, key);
  const python = join(dir, 'bin', 'python');
  if (existsSync(join(dir, '.flowgate-ready'))) return python;
  await mkdir(dirname(dir), { recursive: true });
  const building = `${dir}.building-${process.pid}-${Date.now()}`;
  logger.info({ env: dir, requirements: needs.requirements }, 'creating the model\'s virtualenv (cached for the next load)');
  try {
    await run(base.path, ['-m', 'venv', building]);
    const pip = [join(building, 'bin', 'python'), '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'];
    if (needs.buildDependencies.length > 0) await pipInstall(pip, needs.buildDependencies);
    // The worker itself needs numpy and pandas; pip resolves them together with the model's pins.
    await pipInstall(pip, [...needs.requirements, ...missing(needs.requirements, ['numpy', 'pandas'])]);
    await writeFile(join(building, '.flowgate-ready'), `${JSON.stringify(needs, null, 2)}\n`);
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw new FlavorError('python', `cannot create the model's virtualenv with ${base.path} (--env-manager virtualenv): ${(err as Error).message}`, { cause: err });
  }
  try {
    await rename(building, dir);
  } catch {
    // another load of the same requirements finished first: use its environment
    await rm(building, { recursive: true, force: true });
  }
  // Only bin/python is used (never the scripts, whose shebangs name the build path): it finds its
  // pyvenv.cfg wherever the directory is.
  return python;
}

async function pipInstall(pip: string[], packages: string[]): Promise<void> {
  try {
    await run(pip[0]!, [...pip.slice(1), ...packages], { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const tail = (e.stderr ?? '').trim().split('\n').slice(-6).join('\n');
    throw new Error(`pip install ${packages.join(' ')} failed:\n${tail || e.message}`);
  }
}

function missing(requirements: string[], names: string[]): string[] {
  const listed = new Set(requirements.map((r) => /^[A-Za-z0-9_.-]+/.exec(r)?.[0]?.toLowerCase()));
  return names.filter((n) => !listed.has(n));
}

async function baseInterpreter(executable: string): Promise<{ path: string; version: string }> {
  try {
    const { stdout } = await run(executable, ['-c', 'import sys; print(sys.executable); print(sys.version.split()[0])']);
    const [path, version] = stdout.trim().split('\n');
    return { path: path!, version: version! };
  } catch (err) {
    throw new FlavorError('python', `cannot run the Python ${executable} (--python / FLOWGATE_PYTHON): ${(err as Error).message}`, { cause: err });
  }
}
