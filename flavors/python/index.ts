/**
 * The Python runtime: models only Python can run (custom pyfunc, custom flavors, PyTorch,
 * any python_function model no native flavor serves) run in a pool of Python worker
 * processes that load them exactly as MLflow does (`mlflow.pyfunc.load_model`; custom
 * `loader_module`s also without mlflow). flowgate keeps HTTP, schema and params
 * enforcement and output serialisation; the workers only run predict.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { FlavorError, MlflowError, toErrorCode } from '../../src/errors.js';
import type { ModelInput, ModelOutput, Params } from '../../src/model/data.js';
import type { Flavor, LoadedModel, LoadOptions, PythonOptions } from '../../src/model/flavor.js';
import type { MLmodel } from '../../src/model/mlmodel.js';
import { registerWorkerProcesses } from '../../src/model/worker-processes.js';
import { pythonFor, readRequirements } from './environment.js';
import { WorkerPool, WorkerLoadError } from './pool.js';
import { decodeOutput, encodePredict } from './protocol.js';

const DEFAULT_TIMEOUT_SECONDS = 60;

export const DEFAULT_PYTHON_OPTIONS: PythonOptions = {
  executable: 'python3',
  workers: 1,
  envManager: 'local',
  envCacheDir: join('.flowgate-cache', 'python-envs'),
};

/** worker.py: beside this file in the source tree, and in flavors/python/ of the package when running from dist/. */
export function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'worker.py');
  return existsSync(beside) ? beside : resolve(here, '../../../flavors/python/worker.py');
}

class PythonModel implements LoadedModel {
  readonly flavor = 'python';
  private readonly unregister: () => void;

  constructor(
    private readonly pool: WorkerPool,
    readonly modelName: string,
    private readonly hasParamsSchema: boolean,
    private readonly logger: Logger,
  ) {
    this.unregister = registerWorkerProcesses({ modelName, rss: () => pool.rss() });
  }

  async predict(input: ModelInput, params: Params): Promise<ModelOutput> {
    // MLflow passes params=None to a model without a params schema.
    const sent = !this.hasParamsSchema && Object.keys(params).length === 0 ? null : params;
    const reply = await this.pool.run((id) => encodePredict(id, input, sent));
    const header = reply.header as { ok: boolean; output?: Record<string, unknown>; error?: PythonError };
    if (header.ok) return decodeOutput(header.output!, reply.buffers);
    const error = header.error!;
    if (error.internal !== undefined) {
      throw new MlflowError('INTERNAL_ERROR', `flowgate's Python worker failed to ${error.internal} the data of model ${this.modelName}: ${error.type}: ${error.message}`);
    }
    if (error.error_code !== undefined) throw new MlflowError(toErrorCode(error.error_code), error.message);
    // The model's own exception: MLflow answers 400 "unexpected error" with the traceback.
    this.logger.warn({ traceback: error.traceback }, `predict raised ${error.type}: ${error.message}`);
    const raised = new Error(error.message);
    raised.name = error.type;
    throw raised;
  }

  async dispose(): Promise<void> {
    this.unregister();
    await this.pool.close();
  }
}

interface PythonError {
  type: string;
  message: string;
  error_code?: string;
  traceback?: string;
  /** set when flowgate's own decoding or encoding failed, not the model */
  internal?: 'decode' | 'encode';
}

export const pythonFlavor: Flavor = {
  name: 'python',
  cpuBound: false,
  async load(modelDir: string, mlmodel: MLmodel, options: LoadOptions): Promise<LoadedModel> {
    const conf = mlmodel.flavors.python_function;
    if (conf === undefined) throw new FlavorError('python', 'the model has no python_function flavor: MLflow cannot load it as a pyfunc either');
    const python = options.python ?? DEFAULT_PYTHON_OPTIONS;
    const modelName = options.modelName ?? modelDir;
    const logger = options.logger.child({ model: modelName, runtime: 'python' });
    const executable = await pythonFor(modelDir, python, logger);
    const { env: _env, ...sentConf } = conf;
    const spec = {
      python: executable,
      script: workerScript(),
      env: process.env,
      load: { model_dir: resolve(modelDir), conf: sentConf, param_specs: mlmodel.signature?.params ?? null },
      logger,
    };
    let pool: WorkerPool;
    try {
      pool = await WorkerPool.start(spec, {
        size: python.workers,
        timeoutMs: (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
        modelName,
      });
    } catch (err) {
      if (err instanceof WorkerLoadError) throw new FlavorError('python', await loadErrorMessage(err, executable, modelDir, conf), { cause: err });
      throw err;
    }
    const info = pool.loadInfo!;
    logger.info(
      { python: info.python, python_version: info.python_version, mlflow: info.mlflow, loaded_by: info.loaded_by, workers: pool.size, pids: pool.pids() },
      `loaded in ${pool.size} Python worker(s) with ${info.python} (Python ${info.python_version}${info.mlflow ? `, mlflow ${info.mlflow}` : ', without mlflow'})`,
    );
    return new PythonModel(pool, modelName, (mlmodel.signature?.params ?? null) !== null, logger);
  },
};

/** Names the Python used, the module that is missing, and what the model says it needs. */
async function loadErrorMessage(err: WorkerLoadError, executable: string, modelDir: string, conf: Record<string, unknown>): Promise<string> {
  const reply = err.reply;
  const python = reply?.python ? `${reply.python} (Python ${reply.python_version})` : executable;
  const loader = typeof conf.loader_module === 'string' ? conf.loader_module : '?';
  const needs = await readRequirements(modelDir);
  const listed = needs.requirements.length > 0 ? needs.requirements.join(', ') : 'none listed';
  const from = needs.files.length > 0 ? needs.files.join(' + ') : 'no requirements.txt or python_env.yaml';
  const wanted = needs.python !== null ? `; saved with Python ${needs.python}` : '';
  const error = reply?.error;
  if (error?.type === 'ModuleNotFoundError') {
    const module = error.module ?? /'([^']+)'/.exec(error.message)?.[1] ?? '?';
    return (
      `cannot load the model (loader_module ${loader}) with ${python}: module '${module}' is missing (${error.message}). ` +
      `The model's requirements (${from}): ${listed}${wanted}. ` +
      'Install them into that Python, point --python (FLOWGATE_PYTHON) at an environment that has them, or use --env-manager virtualenv.'
    );
  }
  if (error !== undefined) {
    return `cannot load the model (loader_module ${loader}) with ${python}: ${error.type}: ${error.message}\n${error.traceback ?? ''}`.trimEnd();
  }
  return `cannot load the model with ${python}: ${err.message}. The model's requirements (${from}): ${listed}${wanted}.`;
}
