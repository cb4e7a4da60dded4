/**
 * Decoding `/invocations` JSON bodies into model input (spec §1.4–1.5): the four MLflow
 * input fields, params, and the unified-LLM shortcut, with MLflow's error messages.
 */
import { MlflowError } from '../errors.js';
import { frame, type Column, type Frame, type ModelInput, type Tensor } from '../model/data.js';
import { CastError, dtypeOfNumpy, dtypeOfScalar } from '../model/cast.js';
import { columnFromValues, tensorFromNested } from '../model/infer.js';
import { castColumn } from '../model/cast.js';
import type { ColSpec, Schema, Signature } from '../model/signature.js';
import { SCORING_PROTOCOL_CHANGED } from './content-type.js';
import { isIndexLikeKey, parseJsonKeyOrdered, parseJsonLenient } from './lenient-json.js';

export interface ScoringRequest {
  input: ModelInput;
  /** raw params from the body (enforced later against the params schema) */
  params: unknown;
  /** unified-LLM requests are answered without the {"predictions": ...} wrapper */
  unwrapped: boolean;
}

const INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const INPUT_FIELDS_TEXT = "{'dataframe_records', 'dataframe_split', 'inputs', 'instances'}";
const LLM_FIELDS = ['messages', 'prompt', 'input'];

const badRequest = (message: string): MlflowError => new MlflowError('BAD_REQUEST', message);

export function decodeJsonRequest(body: string, signature: Signature | null): ScoringRequest {
  return decodeJsonDocument(parseJsonBody(body), signature, body);
}

/** The parsed body, or MLflow's "Invalid input" error. */
export function parseJsonBody(body: string): unknown {
  try {
    return parseJsonLenient(body);
  } catch (err) {
    throw badRequest(
      `Invalid input. Ensure that input is a valid JSON formatted string. Error: '${(err as Error).message}'\nInput: \n${body}\n`,
    );
  }
}

/**
 * decodeJsonRequest for a body already parsed (the router may have read it for a sticky key);
 * `body` is its text (records read their column order from it when JSON.parse lost it).
 */
export function decodeJsonDocument(doc: unknown, signature: Signature | null, body: string): ScoringRequest {
  if (Array.isArray(doc)) {
    throw badRequest(`Invalid input. The input must be a JSON dictionary with exactly one of the input fields ${INPUT_FIELDS_TEXT}. Received a list.`);
  }
  if (typeof doc !== 'object' || doc === null) {
    throw badRequest(`Invalid input. The input must be a JSON dictionary with exactly one of the input fields ${INPUT_FIELDS_TEXT}. Received unexpected input type '${pyClass(doc)}'.`);
  }
  const dict = doc as Record<string, unknown>;
  const schema = signature?.inputs ?? null;

  if (LLM_FIELDS.some((k) => k in dict)) return decodeLlmRequest(dict, signature);

  const present = INPUT_FIELDS.filter((k) => k in dict);
  if (present.length !== 1) {
    throw badRequest(
      `The input must be a JSON dictionary with exactly one of the input fields ${INPUT_FIELDS_TEXT}. Received dictionary with input fields: [${present.map((k) => `'${k}'`).join(', ')}]. ${SCORING_PROTOCOL_CHANGED}`,
    );
  }
  const field = present[0]!;
  const value = dict[field];
  const params = dict.params ?? null;
  const written = (): string[] => {
    const ordered = parseJsonKeyOrdered(body);
    const records = (ordered.doc as Record<string, unknown>)[field] as object[];
    const names: string[] = [];
    const seen = new Set<string>();
    for (const r of records) for (const k of ordered.keys(r)) if (!seen.has(k)) (seen.add(k), names.push(k));
    return names;
  };
  switch (field) {
    case 'dataframe_split':
      return { input: decodeSplit(value), params, unwrapped: false };
    case 'dataframe_records':
      return { input: decodeRecords(value, written), params, unwrapped: false };
    case 'instances':
      return { input: decodeInstances(value, schema, written), params, unwrapped: false };
    case 'inputs':
      return { input: decodeInputs(value, schema, written), params, unwrapped: false };
  }
}

function decodeLlmRequest(dict: Record<string, unknown>, signature: Signature | null): ScoringRequest {
  const paramNames = new Set((signature?.params ?? []).map((p) => p.name));
  const data: Record<string, unknown> = {};
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dict)) (paramNames.has(k) ? params : data)[k] = v;
  return { input: decodeDict(data, signature?.inputs ?? null), params, unwrapped: true };
}

function pyClass(v: unknown): string {
  if (v === null) return "<class 'NoneType'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (typeof v === 'string') return "<class 'str'>";
  return "<class 'object'>";
}

// ---- DataFrame formats ------------------------------------------------------------

function decodeSplit(value: unknown): ModelInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`Invalid input. Dataframe split format must be a dictionary. Got ${Array.isArray(value) ? 'list' : pyClass(value)}.`);
  }
  const split = value as Record<string, unknown>;
  const keys = Object.keys(split);
  if (!('data' in split) || keys.some((k) => k !== 'columns' && k !== 'data' && k !== 'index')) {
    throw badRequest(
      `Invalid input. Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {${keys.map((k) => `'${k}'`).join(', ')}}.'`,
    );
  }
  const invalid = (why: string): MlflowError =>
    badRequest(`Invalid input. Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '${why}'`);
  const data = split.data;
  if (!Array.isArray(data)) throw invalid('DataFrame constructor not properly called!');
  const rows = data.map((r) => (Array.isArray(r) ? r : [r]));
  const columns = split.columns;
  if (columns !== undefined && columns !== null && !Array.isArray(columns)) throw invalid('columns must be a list');
  const width = Array.isArray(columns) ? columns.length : longest(rows);
  for (const r of rows) {
    if (r.length !== width) throw invalid(`${width} columns passed, passed data had ${r.length} columns`);
  }
  if (Array.isArray(split.index) && split.index.length !== rows.length) {
    throw invalid(`Shape of passed values is (${rows.length}, ${width}), indices imply (${split.index.length}, ${width})`);
  }
  const names = Array.isArray(columns) ? columns.map(String) : Array.from({ length: width }, (_, j) => String(j));
  const integerLabels = !Array.isArray(columns) || (width > 0 && columns.every((c) => Number.isInteger(c)));
  const cols: Column[] = [];
  for (let j = 0; j < width; j++) cols.push(columnFromValues(rows.map((r) => r[j])));
  return frameOf(names, cols, rows.length, integerLabels);
}

function decodeRecords(value: unknown, written: () => string[]): ModelInput {
  if (!Array.isArray(value)) {
    const got = typeof value === 'object' && value !== null ? 'dictionary' : `type ${pyClass(value)}`;
    throw badRequest(`Invalid input. Dataframe records format must be a list of records. Got ${got}.`);
  }
  return recordsToFrame(value, written);
}

/**
 * pandas DataFrame(list): dict records give the union of keys in the order written (missing → NaN),
 * list records integer columns. `written`: that order read from the body's text, for records
 * with integer-like keys, whose order JSON.parse does not keep.
 */
function recordsToFrame(records: unknown[], written: () => string[]): ModelInput {
  if (records.length > 0 && records.every((r) => Array.isArray(r))) {
    const width = longest(records as unknown[][]);
    const cols: Column[] = [];
    for (let j = 0; j < width; j++) cols.push(columnFromValues(records.map((r) => (r as unknown[])[j] ?? null)));
    return frameOf(cols.map((_, j) => String(j)), cols, records.length, true);
  }
  let names: string[] = [];
  const seen = new Set<string>();
  let reordered = false;
  for (const r of records) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw badRequest(`Invalid input. Dataframe records format must be a list of records. Got a list containing ${pyClass(r)}.`);
    }
    const keys = Object.keys(r);
    // JavaScript lists integer-like keys first: their written place is in the text.
    if (keys.length > 1 && isIndexLikeKey(keys[0]!)) reordered = true;
    for (const k of keys) if (!seen.has(k)) (seen.add(k), names.push(k));
  }
  if (reordered) names = written();
  const cols = names.map((n) => columnFromValues(records.map((r) => (r as Record<string, unknown>)[n] ?? null)));
  return frameOf(names, cols, records.length);
}

/** The length of the longest row (a loop: spreading 125k+ rows into Math.max overflows the stack). */
function longest(rows: readonly unknown[][]): number {
  let width = 0;
  for (const r of rows) if (r.length > width) width = r.length;
  return width;
}

function frameOf(names: string[], cols: Column[], rows: number, integerLabels = false): ModelInput {
  const f: Frame = { ...frame(names, cols), ...(integerLabels ? { integerLabels } : {}) };
  return cols.length === 0 ? { ...f, rows } : f;
}

// ---- inputs / instances -------------------------------------------------------------

function specFor(schema: Schema | null, name: string): { dtype: ReturnType<typeof dtypeOfNumpy> } | null {
  if (schema === null) return null;
  if (schema.kind === 'tensors') {
    const t = schema.tensors.find((s) => s.name === name);
    return t ? { dtype: dtypeOfNumpy(t.dtype) } : null;
  }
  const c: ColSpec | undefined = schema.columns.find((s) => s.name === name);
  return c && c.type.kind === 'scalar' ? { dtype: dtypeOfScalar(c.type.type) } : null;
}

function firstSpec(schema: Schema | null): { dtype: ReturnType<typeof dtypeOfNumpy> } | null {
  if (schema === null) return null;
  if (schema.kind === 'tensors') return schema.tensors[0] ? { dtype: dtypeOfNumpy(schema.tensors[0].dtype) } : null;
  const c = schema.columns[0];
  return c && c.type.kind === 'scalar' ? { dtype: dtypeOfScalar(c.type.type) } : null;
}

function convert(value: unknown, spec: { dtype: ReturnType<typeof dtypeOfNumpy> } | null): Tensor {
  try {
    return tensorFromNested(value, spec?.dtype);
  } catch (err) {
    if (err instanceof CastError) throw badRequest(`Invalid input. ${err.message}`);
    throw err;
  }
}

function isNamed(schema: Schema | null): boolean {
  if (schema === null) return false;
  const specs = schema.kind === 'columns' ? schema.columns : schema.tensors;
  return specs.length > 0 && specs[0]!.name !== null;
}

function schemaSize(schema: Schema): number {
  return schema.kind === 'columns' ? schema.columns.length : schema.tensors.length;
}

function decodeDict(dict: Record<string, unknown>, schema: Schema | null): ModelInput {
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(dict)) tensors[k] = convert(v, specFor(schema, k));
  return { kind: 'tensors', tensors };
}

function decodeInputs(value: unknown, schema: Schema | null, written: () => string[]): ModelInput {
  const isList = Array.isArray(value);
  if (schema !== null && !isNamed(schema) && !isList && typeof value === 'object' && value !== null) {
    throw badRequest(
      'Invalid input. This model has an un-named model signature which expects a single n-dimensional array or a single value as input, however, an input of type dict was found.',
    );
  }
  if (isList && isNamed(schema) && schemaSize(schema!) === 1 && !value.some((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const name = schema!.kind === 'columns' ? schema!.columns[0]!.name! : schema!.tensors[0]!.name!;
    return { kind: 'tensors', tensors: { [name]: convert(value, specFor(schema, name)) } };
  }
  if (isList && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const records = recordsToFrame(value, written);
    // Without a signature the model gets the list itself (Frame.recordsList).
    return schema === null && records.kind === 'frame' ? { ...records, recordsList: true } : castRecordFrame(records, schema);
  }
  if (typeof value === 'object' && value !== null && !isList) return decodeDict(value as Record<string, unknown>, schema);
  return { kind: 'tensor', tensor: convert(value, firstSpec(schema)) };
}

/** `inputs` as a list of dicts keeps per-record values typed by the schema. */
function castRecordFrame(input: ModelInput, schema: Schema | null): ModelInput {
  if (input.kind !== 'frame' || schema === null) return input;
  const columns = input.columns.map((c, i) => {
    const spec = specFor(schema, input.names[i]!);
    if (spec === null) return c;
    try {
      return castColumn(c, spec.dtype);
    } catch (err) {
      if (err instanceof CastError) throw badRequest(`Invalid input. ${err.message}`);
      throw err;
    }
  });
  return frame(input.names, columns);
}

function decodeInstances(value: unknown, schema: Schema | null, written: () => string[]): ModelInput {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    // records → columns, each converted by its spec; lengths must agree
    const names: string[] = [];
    const seen = new Set<string>();
    for (const r of value as Record<string, unknown>[]) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), names.push(k));
    const tensors: Record<string, Tensor> = {};
    for (const n of names) {
      const cells = (value as Record<string, unknown>[]).filter((r) => n in r).map((r) => r[n]);
      tensors[n] = convert(cells, specFor(schema, n));
    }
    const lengths = new Set(Object.values(tensors).map((t) => t.shape[0]));
    if (lengths.size > 1) throw badRequest('Invalid input. The length of values for each input/column name are not the same');
    return { kind: 'tensors', tensors };
  }
  return decodeInputs(value, schema, written);
}
