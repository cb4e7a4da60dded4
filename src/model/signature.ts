/**
 * MLflow model signatures (spec §2.1–2.4): inputs/outputs/params are stored in MLmodel as
 * JSON strings. Parsed once at load into plain types.
 */
import { z } from 'zod';

export type ScalarType = 'boolean' | 'integer' | 'long' | 'float' | 'double' | 'string' | 'binary' | 'datetime';

export type DataType =
  | { kind: 'scalar'; type: ScalarType }
  | { kind: 'array'; items: DataType }
  | { kind: 'object'; properties: { name: string; type: DataType; required: boolean }[] }
  | { kind: 'map'; values: DataType }
  | { kind: 'any' };

export interface ColSpec {
  name: string | null;
  type: DataType;
  required: boolean;
}

export interface TensorSpec {
  name: string | null;
  /** numpy dtype name: float32, float64, int64, bool, object, str ... */
  dtype: string;
  /** -1 = variable dimension */
  shape: number[];
}

export type Schema =
  | { kind: 'columns'; columns: ColSpec[] }
  | { kind: 'tensors'; tensors: TensorSpec[] };

export interface ParamSpec {
  name: string;
  type: ScalarType | 'object';
  default: unknown;
  /** null = scalar; [-1] = 1-D list */
  shape: number[] | null;
}

export interface Signature {
  inputs: Schema | null;
  outputs: Schema | null;
  params: ParamSpec[] | null;
}

const SCALAR_TYPES: readonly ScalarType[] = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'];

const rawSpec = z.object({ type: z.string() }).passthrough();
const rawParam = z
  .object({ name: z.string(), type: z.string().optional(), dtype: z.string().optional(), default: z.unknown(), shape: z.array(z.number()).nullish() })
  .passthrough();

function parseDataType(raw: Record<string, unknown>, where: string): DataType {
  const type = raw.type;
  if (typeof type !== 'string') throw new Error(`${where}: missing type`);
  if ((SCALAR_TYPES as readonly string[]).includes(type)) return { kind: 'scalar', type: type as ScalarType };
  switch (type) {
    case 'array':
      return { kind: 'array', items: parseDataType(asRecord(raw.items, `${where}.items`), `${where}.items`) };
    case 'sparkml_vector':
      return { kind: 'array', items: { kind: 'scalar', type: 'double' } };
    case 'object': {
      const props = asRecord(raw.properties, `${where}.properties`);
      const properties = Object.keys(props)
        .sort()
        .map((name) => {
          const p = asRecord(props[name], `${where}.properties.${name}`);
          return { name, type: parseDataType(p, `${where}.properties.${name}`), required: p.required !== false };
        });
      return { kind: 'object', properties };
    }
    case 'map':
      return { kind: 'map', values: parseDataType(asRecord(raw.values, `${where}.values`), `${where}.values`) };
    case 'any':
      return { kind: 'any' };
    default:
      throw new Error(`${where}: unknown type '${type}'`);
  }
}

function asRecord(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected an object`);
  return v as Record<string, unknown>;
}

export function parseSchema(json: string | null | undefined): Schema | null {
  if (json === null || json === undefined || json === '') return null;
  const specs = z.array(rawSpec).parse(JSON.parse(json));
  if (specs.length === 0) return null;
  if (specs.every((s) => s.type === 'tensor')) {
    return {
      kind: 'tensors',
      tensors: specs.map((s, i) => {
        const t = asRecord(s['tensor-spec'], `inputs[${i}].tensor-spec`);
        return {
          name: typeof s.name === 'string' ? s.name : null,
          dtype: String(t.dtype),
          shape: z.array(z.number()).parse(t.shape ?? []),
        };
      }),
    };
  }
  if (specs.some((s) => s.type === 'tensor')) throw new Error('a schema cannot mix tensor and column specs');
  return {
    kind: 'columns',
    columns: specs.map((s, i) => {
      const type = parseDataType(s, `inputs[${i}]`);
      // MLflow: a missing `required` means required for scalars, optional for array/object/map/any.
      const required = typeof s.required === 'boolean' ? s.required : type.kind === 'scalar';
      return { name: typeof s.name === 'string' ? s.name : null, type, required };
    }),
  };
}

export function parseParams(json: string | null | undefined): ParamSpec[] | null {
  if (json === null || json === undefined || json === '') return null;
  const params = z.array(rawParam).parse(JSON.parse(json));
  return params.map((p) => {
    const type = p.type ?? p.dtype;
    if (type === undefined || (type !== 'object' && !(SCALAR_TYPES as readonly string[]).includes(type))) {
      throw new Error(`param ${p.name}: unknown type '${String(type)}'`);
    }
    return { name: p.name, type: type as ParamSpec['type'], default: p.default ?? null, shape: p.shape ?? null };
  });
}




/** MLflow's repr of a schema, used in its error messages: `['a': double (required), ...]`. */
export function describeSchema(schema: Schema): string {
  if (schema.kind === 'tensors') {
    const parts = schema.tensors.map((t) => {
      const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
      const spec = `Tensor('${t.dtype}', ${shape})`;
      return t.name === null ? spec : `'${t.name}': ${spec}`;
    });
    return `[${parts.join(', ')}]`;
  }
  const parts = schema.columns.map((c) => {
    const t = describeType(c.type);
    const req = c.required ? 'required' : 'optional';
    return c.name === null ? `${t} (${req})` : `'${c.name}': ${t} (${req})`;
  });
  return `[${parts.join(', ')}]`;
}

function describeType(t: DataType): string {
  switch (t.kind) {
    case 'scalar': return t.type;
    case 'array': return `Array(${describeType(t.items)})`;
    case 'map': return `Map(str -> ${describeType(t.values)})`;
    case 'any': return 'Any';
    case 'object': return `Object(${t.properties.map((p) => `${p.name}: ${describeType(p.type)}`).join(', ')})`;
  }
}
