/**
 * The onnx flavor (spec §4) on onnxruntime-node: feeds built from DataFrames, ndarrays
 * or dicts exactly as mlflow.onnx's pyfunc wrapper builds them, outputs shaped likewise.
 * A model with a dynamic batch dimension is `batchable`: serving runs concurrent requests
 * as one session.run (src/serving/batcher.ts), whose fixed cost dwarfs a small model's math.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { FlavorError, MlflowError } from '../../src/errors.js';
import type { Flavor, LoadedModel, LoadOptions } from '../../src/model/flavor.js';
import type { MLmodel } from '../../src/model/mlmodel.js';
import { frame, frameToMatrix, type Column, type ModelInput, type ModelOutput, type Tensor } from '../../src/model/data.js';
import { sessionOptionsFrom } from './session-options.js';
import { fromOrtTensor, toOrtTensor } from './tensors.js';

interface InputInfo {
  name: string;
  type: ort.Tensor.Type | null;
  rank: number | null;
}

class OnnxModel implements LoadedModel {
  readonly flavor = 'onnx';
  /** serving batches concurrent requests when every input and output has a dynamic first (batch) dimension */
  readonly batchable: boolean;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputs: InputInfo[],
  ) {
    this.batchable = hasDynamicBatchDim(session);
  }

  async predict(input: ModelInput): Promise<ModelOutput> {
    const feeds = this.feeds(input);
    const results = await this.session.run(feeds);
    const outputs: Record<string, Tensor> = {};
    for (const name of this.session.outputNames) outputs[name] = fromOrtTensor(results[name] as ort.Tensor);
    if (input.kind !== 'frame') return { kind: 'tensors', tensors: outputs };
    // DataFrame input: one column per output, each flattened (an (N,k) output gives N*k rows).
    const names = Object.keys(outputs);
    const columns: Column[] = names.map((n) => ({ dtype: outputs[n]!.dtype, values: outputs[n]!.values }));
    const lengths = new Set(columns.map((c) => c.values.length));
    if (lengths.size > 1) {
      throw new Error(`All arrays must be of the same length: outputs ${names.join(', ')} have ${[...lengths].join(', ')} elements`);
    }
    return frame(names, columns);
  }

  private feeds(input: ModelInput): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    switch (input.kind) {
      case 'tensors':
        for (const info of this.inputs) {
          const t = input.tensors[info.name];
          if (t !== undefined) feeds[info.name] = toOrtTensor(t, info.type);
        }
        return feeds;
      case 'tensor': {
        if (this.inputs.length !== 1) {
          throw new MlflowError(
            'INVALID_PARAMETER_VALUE',
            `Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires ${this.inputs.length} inputs. Please reformat the input data as a dictionary.`,
          );
        }
        feeds[this.inputs[0]!.name] = toOrtTensor(input.tensor, this.inputs[0]!.type);
        return feeds;
      }
      case 'frame': {
        if (input.recordsList === true) {
          // MLflow hands the model the request's list of dicts itself (no signature made a DataFrame of it).
          throw new Error("Input should be a dictionary or a numpy array or a pandas.DataFrame, got '<class 'list'>'");
        }
        if (this.inputs.length === 1) {
          // All columns as one 2-D matrix; their names are ignored.
          const info = this.inputs[0]!;
          const matrix = (): Tensor => ({ dtype: 'float64', shape: [input.rows, input.columns.length], values: frameToMatrix(input) });
          feeds[info.name] = toOrtTensor(isStringFrame(input) ? stringMatrix(input) : matrix(), info.type);
          return feeds;
        }
        for (const info of this.inputs) {
          const i = input.names.indexOf(info.name);
          if (i < 0) throw new Error(`KeyError: '${info.name}' (the model input is not a column of the DataFrame)`);
          const col = input.columns[i]!;
          const shape = info.rank === 2 ? [input.rows, 1] : [input.rows];
          feeds[info.name] = toOrtTensor({ dtype: col.dtype, shape, values: col.values }, info.type);
        }
        return feeds;
      }
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function hasDynamicBatchDim(session: ort.InferenceSession): boolean {
  const dynamic = (m: ort.InferenceSession.ValueMetadata | undefined): boolean =>
    m !== undefined && m.isTensor && m.shape.length > 0 && (typeof m.shape[0] === 'string' || (m.shape[0] as number) < 0);
  return session.inputMetadata.every(dynamic) && session.outputMetadata.every(dynamic);
}

function isStringFrame(input: ModelInput & { kind: 'frame' }): boolean {
  return input.columns.some((c) => c.dtype === 'string' || c.dtype === 'object');
}

function stringMatrix(input: ModelInput & { kind: 'frame' }): Tensor {
  const values: unknown[] = [];
  for (let i = 0; i < input.rows; i++) for (const c of input.columns) values.push(c.values[i]);
  return { dtype: 'string', shape: [input.rows, input.columns.length], values };
}

async function load(modelDir: string, mlmodel: MLmodel, options: LoadOptions): Promise<LoadedModel> {
  const config = mlmodel.flavors.onnx ?? mlmodel.flavors.python_function ?? {};
  const file = typeof config.data === 'string' ? config.data : 'model.onnx';
  const path = join(modelDir, file);
  if (!existsSync(path)) throw new FlavorError('onnx', `model file ${file} not found in ${modelDir}`);
  const providers = Array.isArray(config.providers) ? config.providers.map(String) : [];
  const unavailable = providers.filter((p) => p !== 'CPUExecutionProvider');
  if (unavailable.length > 0) {
    options.logger.info({ requested: providers }, 'onnx: serving on CPUExecutionProvider (others are not available in this build)');
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, sessionOptionsFrom(config.onnx_session_options));
  } catch (err) {
    throw new FlavorError('onnx', `onnxruntime cannot load ${file}: ${(err as Error).message}`, { cause: err });
  }
  const inputs: InputInfo[] = session.inputNames.map((name, i) => {
    const meta = session.inputMetadata[i];
    return meta !== undefined && meta.isTensor
      ? { name, type: meta.type, rank: meta.shape.length }
      : { name, type: null, rank: null };
  });
  return new OnnxModel(session, inputs);
}

export const onnxFlavor: Flavor = { name: 'onnx', cpuBound: false, load };
