/**
 * The predict semantics of MLflow's TensorFlow/Keras pyfunc wrappers (spec §4), on any
 * TensorRunner:
 * - keras (Keras models, Keras SavedModel exports): a DataFrame gives
 *   `DataFrame(model.predict(df.values))` (columns 0..k-1); an ndarray or a dict gives
 *   what `model.predict` returns (one ndarray, or a list for several outputs).
 * - tf2-module (`_TF2ModuleWrapper`): only an ndarray; the result as the function returns it.
 * - signature (`_TF2Wrapper`, tf1-estimator): a dict or a DataFrame (one tensor per
 *   column) in, a dict or a DataFrame out, (N,1) results raveled.
 */
import { MlflowError } from '../../src/errors.js';
import {
  elementCount,
  frame,
  frameToMatrix,
  isNumericDType,
  type Column,
  type Frame,
  type ModelInput,
  type ModelOutput,
  type Tensor,
} from '../../src/model/data.js';
import { CastError } from '../../src/model/cast.js';
import { tensorFromNested } from '../../src/model/infer.js';
import type { TensorRunner } from './tensors.js';

export type PyfuncKind = 'keras' | 'tf2-module' | 'signature';

export function predict(kind: PyfuncKind, runner: TensorRunner, input: ModelInput): Promise<ModelOutput> {
  switch (kind) {
    case 'keras':
      return predictKeras(runner, input);
    case 'tf2-module':
      return predictModule(runner, input);
    case 'signature':
      return predictSignature(runner, input);
  }
}

async function predictKeras(runner: TensorRunner, input: ModelInput): Promise<ModelOutput> {
  const feeds = input.kind === 'frame' ? [frameValues(input)] : input.kind === 'tensor' ? [input.tensor] : byName(runner, input.tensors);
  if (feeds.length !== runner.inputs.length) {
    throw new Error(`the model expects ${runner.inputs.length} inputs (${inputNames(runner)}) but received ${feeds.length}`);
  }
  const outputs = await runner.run(feeds);
  if (input.kind === 'frame') return outputFrame(outputs);
  return outputs.length === 1 ? { kind: 'tensor', tensor: outputs[0]! } : { kind: 'json', value: outputs.map(nested) };
}

async function predictModule(runner: TensorRunner, input: ModelInput): Promise<ModelOutput> {
  if (input.kind !== 'tensor') {
    const type = input.kind === 'frame' ? "<class 'pandas.core.frame.DataFrame'>" : "<class 'dict'>";
    // MLflow raises a bare MlflowException here: INTERNAL_ERROR, HTTP 500.
    throw new MlflowError('INTERNAL_ERROR', `Unsupported input data type: ${type}, the input data must be numpy array or a list.`);
  }
  if (runner.inputs.length !== 1) {
    throw new Error(`the module's serving function takes ${runner.inputs.length} inputs (${inputNames(runner)}); an ndarray gives one`);
  }
  const outputs = await runner.run([input.tensor]);
  // A function returning a tensor (or a tuple) has outputs output_0, output_1...; one returning a dict has its keys.
  if (runner.outputs.every((n) => /^output_\d+$/.test(n))) {
    return outputs.length === 1 ? { kind: 'tensor', tensor: outputs[0]! } : { kind: 'json', value: outputs.map(nested) };
  }
  return { kind: 'tensors', tensors: Object.fromEntries(runner.outputs.map((n, i) => [n, outputs[i]!])) };
}

async function predictSignature(runner: TensorRunner, input: ModelInput): Promise<ModelOutput> {
  if (input.kind === 'tensor') throw new Error('TypeError: Only dict and DataFrame input types are supported');
  const named: Record<string, Tensor> =
    input.kind === 'tensors'
      ? input.tensors
      : Object.fromEntries(input.names.map((n, j) => [n, columnTensor(input.columns[j]!, input.rows)]));
  const given = Object.keys(named).sort();
  const wanted = runner.inputs.map((i) => i.name).sort();
  if (given.join('\0') !== wanted.join('\0')) {
    throw new Error(`the signature's inputs are ${wanted.join(', ')}, but the input provides ${given.join(', ')}`);
  }
  const outputs = (await runner.run(runner.inputs.map((i) => named[i.name]!))).map(ravelColumnVector);
  if (input.kind === 'tensors') return { kind: 'tensors', tensors: Object.fromEntries(runner.outputs.map((n, i) => [n, outputs[i]!])) };
  const columns = outputs.map((t): Column => (t.shape.length === 1 ? { dtype: t.dtype, values: t.values } : { dtype: 'object', values: nested(t) as unknown[] }));
  const lengths = new Set(columns.map((c) => c.values.length));
  if (lengths.size > 1) throw new Error('ValueError: All arrays must be of the same length');
  return frame([...runner.outputs], columns);
}

/** `np.array(df[col].to_list())`: a column of scalars is 1-D, a column of equal-length lists is stacked into rows. */
function columnTensor(col: Column, rows: number): Tensor {
  if (col.values instanceof Float64Array || !col.values.some(Array.isArray)) return { dtype: col.dtype, shape: [rows], values: col.values };
  try {
    return tensorFromNested(col.values);
  } catch (err) {
    if (err instanceof CastError) throw new Error(`ValueError: ${err.message}`);
    throw err;
  }
}

/** `df.values` of a numeric frame, as the float64 matrix numpy makes of it. */
function frameValues(input: Frame): Tensor {
  const bad = input.columns.findIndex((c) => !isNumericDType(c.dtype));
  if (bad >= 0) throw new Error(`ValueError: column ${input.names[bad]} (${input.columns[bad]!.dtype}) cannot be converted to a float tensor`);
  return { dtype: 'float64', shape: [input.rows, input.columns.length], values: frameToMatrix(input) };
}

function byName(runner: TensorRunner, tensors: Record<string, Tensor>): Tensor[] {
  const given = Object.keys(tensors);
  if (runner.inputs.length === 1 && given.length === 1) return [tensors[given[0]!]!];
  return runner.inputs.map((i) => {
    const t = tensors[i.name];
    if (t === undefined) throw new Error(`missing the model input '${i.name}' (the model's inputs are ${inputNames(runner)}; received ${given.join(', ')})`);
    return t;
  });
}

/** pandas.DataFrame(ndarray): columns 0..k-1 of a 1-D or 2-D result. */
function outputFrame(outputs: Tensor[]): Frame {
  const t = outputs[0]!;
  if (outputs.length !== 1 || t.shape.length < 1 || t.shape.length > 2) {
    throw new Error(`ValueError: Must pass 2-d input. shape=${outputs.length === 1 ? `(${t.shape.join(', ')})` : `${outputs.length} outputs`}`);
  }
  const rows = t.shape[0]!;
  const k = t.shape.length === 1 ? 1 : t.shape[1]!;
  const columns: Column[] = [];
  for (let j = 0; j < k; j++) {
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) values[i] = Number(t.values[i * k + j]);
    columns.push({ dtype: t.dtype, values });
  }
  return frame(columns.map((_, j) => String(j)), columns);
}

/** _TF2Wrapper: a result that is not 1-D but has one element per row becomes 1-D. */
function ravelColumnVector(t: Tensor): Tensor {
  if (t.shape.length === 1 || t.shape.length === 0) return t;
  const rows = t.shape[0]!;
  return elementCount(t.shape) === rows ? { ...t, shape: [rows] } : t;
}

/** ndarray.tolist() */
function nested(t: Tensor): unknown {
  const cell = (i: number): unknown => (t.dtype === 'bool' ? Boolean(t.values[i]) : t.values[i]);
  const build = (dim: number, offset: number): unknown => {
    if (dim === t.shape.length) return cell(offset);
    const stride = elementCount(t.shape.slice(dim + 1));
    return Array.from({ length: t.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

function inputNames(runner: TensorRunner): string {
  return runner.inputs.map((i) => i.name).join(', ');
}
