/**
 * Schema enforcement (spec §2.5–2.8), compiled per request against the model's input
 * schema. Serving coerces every schema column with astype semantics first, so what is
 * left to check is presence, order, shape and what cannot convert.
 */
import { MlflowError } from '../errors.js';
import { castColumn, CastError, dtypeOfNumpy, dtypeOfScalar, numpyName } from './cast.js';
import { elementCount, frame, isNumericDType, type Column, type Frame, type ModelInput, type Tensor } from './data.js';
import { describeSchema, type ColSpec, type DataType, type Schema, type TensorSpec } from './signature.js';
import { describeInput } from './describe.js';

/** An enforcement failure: MLflow reports it as INVALID_PARAMETER_VALUE with the data and schema. */
export class SchemaError extends Error {}

/** A cast failure: MLflow reports it as BAD_REQUEST "Data is not compatible with model signature". */
export class IncompatibleDataError extends Error {}

export function enforceSchema(input: ModelInput, schema: Schema): ModelInput {
  try {
    return schema.kind === 'columns' ? enforceColumns(input, schema.columns) : enforceTensors(input, schema.tensors);
  } catch (err) {
    if (err instanceof SchemaError) {
      const data = describeInput(input);
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Failed to predict data '${data}'. \nError: Failed to enforce schema of data '${data}' with schema '${describeSchema(schema)}'. Error: ${err.message}`,
      );
    }
    if (err instanceof IncompatibleDataError) {
      throw new MlflowError('BAD_REQUEST', `Invalid input. Data is not compatible with model signature. ${err.message}`);
    }
    throw err;
  }
}

// ---- column schemas ---------------------------------------------------------------

function asFrame(input: ModelInput): Frame {
  switch (input.kind) {
    case 'frame':
      return input;
    case 'tensor': {
      // DataFrame(ndarray): a 1-D array is one column, a 2-D array one column per index.
      const t = input.tensor;
      if (t.shape.length > 2) {
        throw new SchemaError(`This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: Must pass 2-d input. shape=(${t.shape.join(', ')})`);
      }
      const rows = t.shape[0] ?? 1;
      const cols = t.shape.length === 2 ? t.shape[1]! : 1;
      const columns: Column[] = [];
      for (let j = 0; j < cols; j++) columns.push(sliceColumn(t, j, cols, rows));
      return frame(columns.map((_, j) => String(j)), columns);
    }
    case 'tensors': {
      const names = Object.keys(input.tensors);
      const tensors = Object.values(input.tensors);
      const allScalar = tensors.every((t) => t.shape.length === 0);
      const lengths = new Set(tensors.map((t) => (t.shape.length === 0 ? 1 : t.shape[0])));
      if (!allScalar && lengths.size > 1) {
        throw new SchemaError('This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: All arrays must be of the same length');
      }
      return frame(names, tensors.map((t) => (t.shape.length <= 1 ? { dtype: t.dtype, values: t.values } : columnOfRows(t))));
    }
  }
}

function sliceColumn(t: Tensor, j: number, cols: number, rows: number): Column {
  if (t.values instanceof Float64Array) {
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) out[i] = t.values[i * cols + j]!;
    return { dtype: t.dtype, values: out };
  }
  const out: unknown[] = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = t.values[i * cols + j];
  return { dtype: t.dtype, values: out };
}

/** A column whose cells are the rows of an n-d tensor (kept as nested lists). */
function columnOfRows(t: Tensor): Column {
  const rows = t.shape[0]!;
  const per = elementCount(t.shape) / (rows || 1);
  const values: unknown[] = [];
  for (let i = 0; i < rows; i++) values.push(Array.from(t.values.slice(i * per, (i + 1) * per) as ArrayLike<unknown>));
  return { dtype: 'object', values };
}

function enforceColumns(input: ModelInput, specs: ColSpec[]): Frame {
  const data = asFrame(input);
  const named = specs[0]?.name !== null;
  if (!named) {
    if (data.columns.length < specs.length) {
      throw new SchemaError(
        `Failed to enforce schema of data with schema. Model inputs contain ${specs.length} inputs but the provided value only has ${data.columns.length} inputs.`,
      );
    }
    const columns = specs.map((spec, j) => enforceColumn(data.columns[j]!, spec, String(j)));
    return frame(specs.map((_, j) => String(j)), columns);
  }
  const present = new Set(data.names);
  const missing = specs.filter((s) => s.required && !present.has(s.name!)).map((s) => s.name!);
  if (missing.length > 0) {
    const wanted = new Set(specs.map((s) => s.name!));
    const extra = data.names.filter((n) => !wanted.has(n));
    let msg = `Model is missing inputs ${pyList(missing)}.`;
    if (extra.length > 0) msg += ` Note that there were extra inputs: ${pyList(extra)}`;
    throw new SchemaError(msg);
  }
  const names: string[] = [];
  const columns: Column[] = [];
  for (const spec of specs) {
    const i = data.names.indexOf(spec.name!);
    if (i < 0) continue; // optional and absent: omitted, as MLflow does
    names.push(spec.name!);
    columns.push(enforceColumn(data.columns[i]!, spec, spec.name!));
  }
  return frame(names, columns);
}

function enforceColumn(col: Column, spec: ColSpec, name: string): Column {
  const type = spec.type;
  if (type.kind === 'any') return col;
  if (type.kind !== 'scalar') {
    const values = Array.from(col.values as ArrayLike<unknown>);
    values.forEach((v, i) => {
      if (v === null && !spec.required) return;
      checkNested(v, type, `${name}[${i}]`);
    });
    return { dtype: 'object', values };
  }
  const to = dtypeOfScalar(type.type);
  try {
    return castColumn(col, to);
  } catch (err) {
    if (err instanceof CastError) {
      throw new IncompatibleDataError(`Failed to convert column ${name} to type '${numpyName(to)}'. Error: '${err.message}'`);
    }
    throw err;
  }
}

/** The strict per-cell checks of Array/Object/Map columns (_enforce_array/_object/_map). */
function checkNested(v: unknown, type: DataType, where: string): void {
  switch (type.kind) {
    case 'any':
      return;
    case 'scalar': {
      const ok =
        type.type === 'string' ? typeof v === 'string'
        : type.type === 'boolean' ? typeof v === 'boolean'
        : type.type === 'integer' || type.type === 'long' ? typeof v === 'number' && Number.isInteger(v)
        : type.type === 'float' || type.type === 'double' ? typeof v === 'number'
        : type.type === 'binary' ? typeof v === 'string'
        : typeof v === 'string' || typeof v === 'number';
      if (!ok) throw new SchemaError(`Failed to enforce schema for ${where}: expected ${type.type}, got ${JSON.stringify(v)}`);
      return;
    }
    case 'array':
      if (!Array.isArray(v)) throw new SchemaError(`Expected data to be list or numpy array, got ${typeof v} for ${where}`);
      v.forEach((x, i) => checkNested(x, type.items, `${where}[${i}]`));
      return;
    case 'map':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(`Expected data to be a dictionary for ${where}`);
      for (const [k, x] of Object.entries(v)) checkNested(x, type.values, `${where}.${k}`);
      return;
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(`Expected data to be a dictionary for ${where}`);
      const obj = v as Record<string, unknown>;
      const missing = type.properties.filter((p) => p.required && !(p.name in obj)).map((p) => p.name);
      if (missing.length > 0) throw new SchemaError(`Missing required properties ${pyList(missing)} in ${where}`);
      const known = new Set(type.properties.map((p) => p.name));
      const extra = Object.keys(obj).filter((k) => !known.has(k));
      if (extra.length > 0) throw new SchemaError(`Invalid properties not defined in the schema found: ${pyList(extra)}`);
      for (const p of type.properties) if (p.name in obj) checkNested(obj[p.name], p.type, `${where}.${p.name}`);
      return;
    }
  }
}

// ---- tensor schemas ---------------------------------------------------------------

function enforceTensors(input: ModelInput, specs: TensorSpec[]): ModelInput {
  const named = specs[0]?.name !== null;
  if (!named) {
    const spec = specs[0]!;
    if (input.kind === 'tensors') {
      throw new SchemaError('This model contains a tensor-based model signature with no input names, which suggests a numpy array input, but an input of type dict was found.');
    }
    const tensor = input.kind === 'tensor' ? input.tensor : frameToTensor(input, spec);
    return { kind: 'tensor', tensor: enforceTensor(tensor, spec) };
  }
  let tensors: Record<string, Tensor>;
  if (input.kind === 'tensor') {
    if (specs.length !== 1) throw new SchemaError(`Model is missing inputs ${pyList(specs.map((s) => s.name!))}.`);
    tensors = { [specs[0]!.name!]: input.tensor };
  } else if (input.kind === 'tensors') {
    tensors = input.tensors;
  } else {
    tensors = {};
    input.names.forEach((n, i) => (tensors[n] = { dtype: input.columns[i]!.dtype, shape: [input.rows], values: input.columns[i]!.values }));
  }
  const missing = specs.filter((s) => !(s.name! in tensors)).map((s) => s.name!);
  if (missing.length > 0) {
    const wanted = new Set(specs.map((s) => s.name!));
    const extra = Object.keys(tensors).filter((n) => !wanted.has(n));
    let msg = `Model is missing inputs ${pyList(missing)}.`;
    if (extra.length > 0) msg += ` Note that there were extra inputs: ${pyList(extra)}`;
    throw new SchemaError(msg);
  }
  const out: Record<string, Tensor> = {};
  for (const spec of specs) {
    let t = tensors[spec.name!]!;
    // A DataFrame column for a (-1, fixed...) spec is reshaped; scalar cells need (-1,) or (-1, 1).
    if (input.kind === 'frame' && spec.shape.length > 1 && t.shape.length === 1) t = { ...t, shape: [t.shape[0]!, ...spec.shape.slice(1).map((d) => Math.max(d, 1))] };
    out[spec.name!] = enforceTensor(t, spec);
  }
  return { kind: 'tensors', tensors: out };
}

function frameToTensor(input: Frame, spec: TensorSpec): Tensor {
  if (input.columns.length === 0 || input.rows === 0) throw new SchemaError('Input DataFrame is empty.');
  const k = input.columns.length;
  if (k > 1 && !(spec.shape.length === 2 && spec.shape[1] === k)) {
    throw new SchemaError(`The input pandas dataframe column size ${k} does not match the expected shape ${pyShape(spec.shape)}.`);
  }
  const to = dtypeOfNumpy(spec.dtype);
  const cols = input.columns.map((c) => castOrFail(c, to, spec));
  const rows = input.rows;
  const numeric = isNumericDType(to);
  const values = numeric ? new Float64Array(rows * k) : new Array<unknown>(rows * k);
  for (let j = 0; j < k; j++) {
    const src = cols[j]!.values;
    for (let i = 0; i < rows; i++) values[i * k + j] = src[i] as never;
  }
  const shape = k === 1 && spec.shape.length > 1 ? [rows, ...spec.shape.slice(1).map((d) => Math.max(d, 1))] : k === 1 ? [rows] : [rows, k];
  if (k === 1 && elementCount(shape) !== rows) throw new SchemaError(`cannot reshape array of size ${rows} into shape ${pyShape(spec.shape)}`);
  return { dtype: to, shape, values };
}

function castOrFail(col: Column, to: ReturnType<typeof dtypeOfNumpy>, spec: TensorSpec): Column {
  try {
    return castColumn(col, to);
  } catch (err) {
    if (err instanceof CastError) throw new SchemaError(`dtype of input ${numpyName(col.dtype)} does not match expected dtype ${spec.dtype}`);
    throw err;
  }
}

function enforceTensor(t: Tensor, spec: TensorSpec): Tensor {
  const to = dtypeOfNumpy(spec.dtype);
  const shapeOk = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === t.shape[i]);
  const raggedOk = to === 'object' && spec.shape.length >= 1 && spec.shape.slice(1).some((d) => d === -1) && t.shape.length === 1;
  if (!shapeOk && !raggedOk && !(to === 'object' && spec.shape.length === 1 && spec.shape[0] === -1)) {
    throw new SchemaError(`Shape of input ${pyShape(t.shape)} does not match expected shape ${pyShape(spec.shape)}.`);
  }
  if (t.dtype === to || to === 'object') return t;
  try {
    const c = castColumn({ dtype: t.dtype, values: t.values }, to);
    return { dtype: to, shape: t.shape, values: c.values };
  } catch (err) {
    if (err instanceof CastError) throw new SchemaError(`dtype of input ${numpyName(t.dtype)} does not match expected dtype ${spec.dtype}`);
    throw err;
  }
}


function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}
