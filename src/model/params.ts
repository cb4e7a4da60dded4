/**
 * Params enforcement (spec §2.9): without a params schema params are ignored; with one,
 * unknown keys are dropped, defaults filled in, and each value checked (bool is not int).
 */
import { MlflowError } from '../errors.js';
import type { Params } from './data.js';
import type { ParamSpec, ScalarType } from './signature.js';

const WIDENS_TO: Record<string, ScalarType[]> = {
  integer: ['integer', 'long', 'float', 'double'],
  long: ['long', 'float', 'double'],
  float: ['float', 'double'],
  double: ['double'],
};

function scalarOk(v: unknown, type: ParamSpec['type']): boolean {
  if (v === null) return true;
  switch (type) {
    case 'boolean': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'binary': return typeof v === 'string';
    case 'object': return typeof v === 'object' && !Array.isArray(v);
    case 'datetime': return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    case 'integer': case 'long': case 'float': case 'double': {
      if (typeof v !== 'number') return false;
      const from: ScalarType = Number.isInteger(v) ? 'long' : 'double';
      return (WIDENS_TO[from] ?? []).includes(type) || (from === 'long' && type === 'integer');
    }
  }
}

export function enforceParams(params: unknown, specs: ParamSpec[] | null): Params {
  if (specs === null) return {};
  if (params === null || params === undefined) params = {};
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Parameters must be a dictionary. Got type '${Array.isArray(params) ? 'list' : typeof params}'.`);
  }
  const given = params as Record<string, unknown>;
  const out: Params = {};
  const problems: string[] = [];
  for (const spec of specs) {
    if (!(spec.name in given)) {
      out[spec.name] = spec.default;
      continue;
    }
    const v = given[spec.name];
    let error: string | null = null;
    if (spec.shape === null) {
      if (Array.isArray(v)) error = `Value must be a scalar for type \`${spec.type}\``;
      else if (!scalarOk(v, spec.type)) error = `Failed to convert value \`${String(v)}\` from type \`${pyType(v)}\` to \`DataType.${spec.type}\``;
    } else if (!Array.isArray(v)) {
      error = `Value must be a 1D array with shape (-1,) for param '${spec.name}': ${spec.type} (default: ${JSON.stringify(spec.default)}) (shape: (-1,)), received ${pyType(v)}`;
    } else if (v.some((x) => Array.isArray(x))) {
      error = `Value must be a 1D array with shape (-1,) for param '${spec.name}': ${spec.type} (default: ${JSON.stringify(spec.default)}) (shape: (-1,)), received list with ndim 2`;
    } else if (!v.every((x) => scalarOk(x, spec.type))) {
      error = `Failed to convert value \`${JSON.stringify(v)}\` to \`DataType.${spec.type}\``;
    }
    if (error === null) out[spec.name] = v;
    else problems.push(`('${spec.name}', "Failed to validate type and shape for '${spec.name}', error: ${error}")`);
  }
  if (problems.length > 0) throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid parameters found: {${problems.join(', ')}}`);
  return out;
}

function pyType(v: unknown): string {
  if (v === null) return "<class 'NoneType'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (typeof v === 'string') return "<class 'str'>";
  return Array.isArray(v) ? "<class 'list'>" : "<class 'dict'>";
}
