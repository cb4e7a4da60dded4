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
    const name = spec.name!;
    if (input.kind === 'frame') out[name] = columnToTensor(name, input.columns[input.names.indexOf(name)]!, spec);
    else out[name] = enforceTensor(tensors[name]!, spec);
  }
  return { kind: 'tensors', tensors: out };
}

function frameToTensor(input: Frame, spec: TensorSpec): Tensor {
  if (input.columns.length === 0 || input.rows === 0) throw new SchemaError('Input DataFrame is empty.');
  const k = input.columns.length;
  if (k === 1) return columnToTensor(null, input.columns[0]!, spec);
  if (!(spec.shape.length === 2 && spec.shape[0] === -1 && spec.shape[1] === k)) {
    throw new SchemaError(
      `This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had ${k} columns and an input shape of ${pyShape(spec.shape)} with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure`,
    );
  }
  const to = dtypeOfNumpy(spec.dtype);
  const cols = input.columns.map((c) => castOrFail(c, to, spec));
  const rows = input.rows;
  const values = isNumericDType(to) ? new Float64Array(rows * k) : new Array<unknown>(rows * k);
  for (let j = 0; j < k; j++) {
    const src = cols[j]!.values;
    for (let i = 0; i < rows; i++) values[i * k + j] = src[i] as never;
  }
  return { dtype: to, shape: [rows, k], values };
}

function isScalarCell(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

/**
 * One DataFrame column as the tensor of a (-1, fixed...) spec (_reshape_and_cast_pandas_column_values):
 * scalar cells for (-1,) or (-1, 1); list cells (a flattened tensor per row, as Spark and
 * pandas users send images and embeddings) stacked row by row, reshaped and cast.
 */
function columnToTensor(name: string | null, col: Column, spec: TensorSpec): Tensor {
  const shape = spec.shape;
  if (shape[0] !== -1 || shape.slice(1).includes(-1)) {
    throw new SchemaError(
      `For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of ${name === null ? 'the unnamed input' : `input ${name}`} is ${pyShape(shape)}.`,
    );
  }
  const rows = col.values.length;
  const first = col.values[0];
  const to = dtypeOfNumpy(spec.dtype);
  if (col.values instanceof Float64Array || rows === 0 || isScalarCell(first)) {
    if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
      throw new SchemaError(
        `The input pandas dataframe column '${name ?? 'None'}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of ${pyShape(shape)}.`,
      );
    }
    return enforceTensor({ dtype: to, shape: shape.length === 1 ? [rows] : [rows, 1], values: castOrFail(col, to, spec).values }, spec);
  }
  if (!Array.isArray(first) || !isScalarCell(first[0])) {
    throw new SchemaError(
      'Because the model signature requires tensor spec input, the input pandas dataframe values should be either scalar value, python list containing scalar values or numpy array containing scalar values, other types are not supported.',
    );
  }
  const notStackable = (): SchemaError =>
    new SchemaError(
      `The value in the Input DataFrame column '${name ?? 'None'}' could not be converted to the expected shape of: '${pyShape(shape)}'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type '${spec.dtype}'`,
    );
  // np.vstack then reshape(spec.shape) keeping one row per cell: every cell holds exactly the row's element count
  const perRow = elementCount(shape.slice(1));
  const cells = col.values as unknown[];
  // a null element becomes NaN in a float tensor, as numpy's astype makes of None
  if (!cells.every((c) => Array.isArray(c) && c.length === perRow && c.every((v) => v === null || isScalarCell(v)))) throw notStackable();
  const flat = (cells as unknown[][]).flat();
  let values;
  try {
    values = castColumn({ dtype: 'object', values: flat }, to).values;
  } catch (err) {
    if (err instanceof CastError) throw notStackable();
    throw err;
  }
  return { dtype: to, shape: [rows, ...shape.slice(1)], values };
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
