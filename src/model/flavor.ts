/**
 * The contract between serving and the flavor loaders under flavors/.
 */
import type { Logger } from 'pino';
import type { MLmodel } from './mlmodel.js';
import type { ModelInput, ModelOutput, Params } from './data.js';

export interface LoadOptions {
  logger: Logger;
  /** names the model in logs and errors: the registered name, or the directory */
  modelName?: string;
  /** the per-request limit (-t): a flavor that runs predict out of process stops a stuck one itself */
  timeoutSeconds?: number;
  /** `python` runs the model in the Python runtime even when a native flavor serves it */
  runtime?: Runtime;
  python?: PythonOptions;
  /** adaptive batching of concurrent requests (serving does it, for models that are `batchable`) */
  batching?: BatchSettings;
}

/** --max-batch-size / --max-batch-delay-ms, or an endpoint's max_batch_size / max_batch_delay_ms. */
export interface BatchSettings {
  /** requests run as one model call at most; 1 turns batching off */
  maxBatchSize: number;
  /** how long requests waiting behind a running batch may wait for the next one to fill (an idle model never waits) */
  maxBatchDelayMs: number;
}

/** How models are run (--runtime, --python..., -t): LoadOptions without what each load names itself. */
export type RuntimeOptions = Omit<LoadOptions, 'logger' | 'modelName'>;

/** `auto`: a native flavor when there is one, else the Python runtime; `python`: always Python. */
export type Runtime = 'auto' | 'python';

/** How the Python runtime (flavors/python) runs models. */
export interface PythonOptions {
  /** --python / FLOWGATE_PYTHON */
  executable: string;
  /** --python-workers: worker processes per model version */
  workers: number;
  /** --env-manager: `local` uses `executable`; `virtualenv` builds a venv per model from its requirements */
  envManager: 'local' | 'virtualenv';
  /** where `virtualenv` environments are cached */
  envCacheDir: string;
}

export interface LoadedModel {
  /** The flavor that loaded it, e.g. "onnx". */
  readonly flavor: string;
  /**
   * pyfunc-style predict. `input` has passed schema enforcement when the model has a
   * signature. Errors the user caused are MlflowErrors; anything else becomes MLflow's
   * generic 400 "Encountered an unexpected error while evaluating the model".
   */
  predict(input: ModelInput, params: Params): Promise<ModelOutput>;
  /**
   * Opts into serving's adaptive batching (src/serving/batcher.ts): predict is row-wise, so
   * concurrent requests may run as one call on their rows concatenated (same params, same
   * columns / non-batch shape and dtype), each input row giving its own whole number of
   * output rows, in order.
   */
  readonly batchable?: boolean;
  dispose(): Promise<void>;
}

export interface Flavor {
  /** The MLmodel flavor key and the pyfunc loader_module suffix (mlflow.<name>). */
  readonly name: string;
  /**
   * true: the JS thread computes predict (pure-JS or wasm models), so serving runs it on
   * worker threads holding replicas of the model; false: predict already runs outside the
   * JS thread (onnxruntime's own threads, Python worker processes), so it stays on the main
   * thread and is not replicated.
   */
  readonly cpuBound: boolean;
  /** Reads the model files once; fails with a FlavorError naming what it cannot serve. */
  load(modelDir: string, mlmodel: MLmodel, options: LoadOptions): Promise<LoadedModel>;
}
