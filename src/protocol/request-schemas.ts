/**
 * The request bodies of the scoring protocols as zod schemas: MLflow's /invocations JSON
 * (exactly one of dataframe_split, dataframe_records, instances, inputs, with params), the
 * Open Inference Protocol's infer request, and a model signature's input as the schema of
 * its rows, columns or tensors. They are the contract /openapi.json publishes; the decoders
 * (json-request.ts, v2-request.ts) check the same rules with MLflow's exact error messages,
 * and a test holds the two to the same verdicts.
 */
import { z } from 'zod';
import type { ColSpec, DataType, ParamSpec, ScalarType, Schema, TensorSpec } from '../model/signature.js';
import { V2_DATATYPES } from './v2-datatypes.js';

/** Any JSON value (present: a key given this is required). */
const jsonValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

const params = z.record(z.string(), z.unknown()).describe("Inference parameters, checked against the model signature's params").optional();

const INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/** An object with `field` and none of the other input fields (MLflow takes exactly one); other keys are ignored. */
function exactlyOne(field: (typeof INPUT_FIELDS)[number], value: z.ZodType, description: string): z.ZodType {
  const others = Object.fromEntries(INPUT_FIELDS.filter((f) => f !== field).map((f) => [f, z.never().optional()]));
  return z.object({ [field]: value, params, ...others }).describe(description);
}

/** MLflow's scoring JSON, given the schemas of a record, a split row, the column names, instances and inputs. */
function scoringRequest(inputs: { record: z.ZodType; splitRow: z.ZodType; columns: z.ZodType | null; instances: z.ZodType; inputs: z.ZodType }): z.ZodType {
  return z.union([
    exactlyOne(
      'dataframe_split',
      z.strictObject({ columns: (inputs.columns ?? z.array(z.unknown())).nullable().optional(), data: z.array(inputs.splitRow), index: z.array(z.unknown()).optional() }),
      "A pandas DataFrame in 'split' orientation",
    ),
    exactlyOne('dataframe_records', z.array(inputs.record), "A pandas DataFrame in 'records' orientation"),
    exactlyOne('instances', inputs.instances, 'TF-serving row format: a list of instances'),
    exactlyOne('inputs', inputs.inputs, 'TF-serving columnar format, or a list of rows'),
  ]);
}

/** The /invocations JSON body of any model. */
export const scoringRequestSchema = scoringRequest({
  record: z.record(z.string(), z.unknown()),
  splitRow: z.unknown(),
  columns: null,
  instances: jsonValue,
  inputs: jsonValue,
});

const v2Tensor = z.object({
  name: z.string().min(1),
  datatype: z.enum(V2_DATATYPES as [string, ...string[]]),
  shape: z.array(z.int().min(0)),
  parameters: z.object({ binary_data_size: z.int().min(0).optional() }).optional(),
  data: z.unknown().describe('The elements, flat or nested (row-major); absent when binary_data_size gives them after the JSON header').optional(),
});

/** The V2 infer request: named tensors. */
export const v2InferRequestSchema = v2InferRequest(v2Tensor);

function v2InferRequest(tensor: z.ZodType): z.ZodType {
  return z.object({
    id: z.string().optional(),
    parameters: z.object({ binary_data_output: z.boolean().optional() }).catchall(z.unknown()).optional(),
    inputs: z.array(tensor).min(1),
    outputs: z.array(z.object({ name: z.string(), parameters: z.object({ binary_data: z.boolean().optional() }).catchall(z.unknown()).optional() })).optional(),
  });
}

// ---- a signature's request schema ----------------------------------------------------

function scalarType(type: ScalarType): z.ZodType {
  switch (type) {
    case 'boolean':
      return z.boolean();
    case 'integer':
    case 'long':
      return z.int();
    case 'float':
    case 'double':
      return z.number();
    case 'datetime':
      return z.string().describe('an ISO 8601 date-time');
    case 'binary':
      return z.string().describe('base64-encoded bytes');
    case 'string':
      return z.string();
  }
}

function scalar(type: DataType): z.ZodType {
  switch (type.kind) {
    case 'scalar':
      return scalarType(type.type);
    case 'array':
      return z.array(scalar(type.items));
    case 'object':
      return z.object(Object.fromEntries(type.properties.map((p) => [p.name, p.required ? scalar(p.type) : scalar(p.type).optional()])));
    case 'map':
      return z.record(z.string(), scalar(type.values));
    case 'any':
      return z.unknown();
  }
}

const NUMERIC_DTYPE = /^(u?int|float)\d*$/;

function tensorElement(t: TensorSpec): z.ZodType {
  if (t.dtype === 'bool') return z.boolean();
  if (NUMERIC_DTYPE.test(t.dtype)) return t.dtype.startsWith('float') ? z.number() : z.int();
  return z.unknown();
}

/** Nested lists of the tensor's elements, one level per dimension, fixed sizes bounded. */
function tensor(t: TensorSpec, dims = t.shape): z.ZodType {
  if (dims.length === 0) return tensorElement(t);
  const inner = z.array(tensor(t, dims.slice(1)));
  return dims[0]! >= 0 ? inner.length(dims[0]!) : inner;
}

function columnsRequest(columns: ColSpec[]): z.ZodType {
  const named = columns.filter((c): c is ColSpec & { name: string } => c.name !== null);
  const record = z.object(Object.fromEntries(named.map((c) => [c.name, c.required ? scalar(c.type) : scalar(c.type).nullable().optional()])));
  const splitRow = named.length === columns.length ? z.tuple(named.map((c) => (c.required ? scalar(c.type) : scalar(c.type).nullable())) as [z.ZodType, ...z.ZodType[]]) : z.array(z.unknown());
  const columnar = z.object(Object.fromEntries(named.map((c) => [c.name, c.required ? z.array(scalar(c.type)) : z.array(scalar(c.type)).optional()])));
  return scoringRequest({
    record,
    splitRow,
    columns: named.length === 0 ? null : z.array(z.enum(named.map((c) => c.name) as [string, ...string[]])),
    instances: z.array(named.length === columns.length ? record : z.unknown()),
    inputs: z.union([columnar, z.array(record)]),
  });
}

function tensorsRequest(tensors: TensorSpec[]): z.ZodType {
  const named = tensors.filter((t): t is TensorSpec & { name: string } => t.name !== null);
  const single = tensors.length === 1 ? tensor(tensors[0]!) : null;
  const byName = z.object(Object.fromEntries(named.map((t) => [t.name, tensor(t)])));
  const inputs = single === null ? byName : named.length === 1 ? z.union([single, byName]) : single;
  return scoringRequest({
    record: single === null ? z.object(Object.fromEntries(named.map((t) => [t.name, tensor(t, t.shape.slice(1))]))) : z.record(z.string(), z.unknown()),
    splitRow: z.array(z.unknown()),
    columns: null,
    instances: single === null ? z.array(z.object(Object.fromEntries(named.map((t) => [t.name, tensor(t, t.shape.slice(1))])))) : tensor(tensors[0]!),
    inputs,
  });
}

/** The /invocations body a model with this input schema takes; the generic one without a schema. */
export function signatureRequestSchema(inputs: Schema | null, paramSpecs: ParamSpec[] | null): z.ZodType {
  const request = inputs === null ? scoringRequestSchema : inputs.kind === 'columns' ? columnsRequest(inputs.columns) : tensorsRequest(inputs.tensors);
  if (paramSpecs === null || paramSpecs.length === 0) return request;
  const described = paramSpecs.map((p) => `${p.name} (${p.type}${p.shape === null ? '' : '[]'}, default ${JSON.stringify(p.default)})`).join(', ');
  return request.describe(`Params: ${described}`);
}

/** The V2 infer body of a model with this input schema: its inputs' names and V2 datatypes. */
export function signatureV2Schema(inputs: Schema | null): z.ZodType {
  if (inputs === null) return v2InferRequestSchema;
  const names = inputs.kind === 'columns' ? inputs.columns.map((c) => c.name) : inputs.tensors.map((t) => t.name);
  const known = names.filter((n): n is string => n !== null);
  if (known.length === 0) return v2InferRequestSchema;
  return v2InferRequest(v2Tensor.extend({ name: z.enum(known as [string, ...string[]]) }));
}
