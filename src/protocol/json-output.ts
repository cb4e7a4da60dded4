/**
 * Serialises model outputs exactly as MLflow's scoring server does (spec §1.9): Python's
 * json.dumps with numpy values — floats keep their `.0`, exponents are `1e-05`, NaN and
 * infinities are bare `NaN`/`Infinity`, DataFrames become records, ndarrays nested lists.
 * Writing the text directly is also much faster than building JS objects for JSON.stringify.
 */
import { elementCount, isFloatDType, type Column, type DType, type ModelOutput, type Values } from '../model/data.js';

/** Python's repr() of a float. */
export function formatFloat(x: number): string {
  const abs = Math.abs(x);
  // Fast path: in [1e-4, 1e16) both languages write the shortest round-trip digits in
  // positional notation; Python only adds ".0" to integral values.
  if (abs >= 1e-4 && abs < 1e16) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  return pythonScientific(x.toExponential());
}

function pythonScientific(sci: string): string {
  const at = sci.indexOf('e');
  const mantissa = sci.slice(0, at);
  const sign = sci[at + 1] === '-' ? '-' : '+';
  const digits = sci.slice(at + 2);
  return `${mantissa}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

function formatInt(x: number): string {
  // An integer column can hold NaN only when a flavor put it there; pandas would make it float.
  return Number.isFinite(x) ? String(x) : formatFloat(x);
}

function formatNumber(dtype: DType, x: number): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  return isFloatDType(dtype) ? formatFloat(x) : formatInt(x);
}

/** Any JS value as Python's json.dumps would write it (numbers in JSON values are Python floats only when not integral). */
export function formatJsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : formatFloat(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'object': {
      if (v instanceof Uint8Array) return JSON.stringify(base64Lines(v));
      if (v instanceof Date) return JSON.stringify(v.toISOString());
      if (Array.isArray(v)) return `[${v.map(formatJsonValue).join(', ')}]`;
      if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, (x) => formatJsonValue(x)).join(', ')}]`;
      const parts: string[] = [];
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) parts.push(`${JSON.stringify(k)}: ${formatJsonValue(val)}`);
      return `{${parts.join(', ')}}`;
    }
    default:
      return JSON.stringify(String(v));
  }
}

/** Python's base64.encodebytes: a newline every 76 characters and a trailing one. */
function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\n`;
  return out;
}

function formatCell(dtype: DType, values: Values, i: number): string {
  if (values instanceof Float64Array) return formatNumber(dtype, values[i]!);
  return formatJsonValue(values[i]);
}

function formatTensor(dtype: DType, shape: readonly number[], values: Values): string {
  if (shape.length === 0) return formatCell(dtype, values, 0);
  // One formatter per element kind, chosen once: this loop writes every number of a response.
  const cell: (i: number) => string =
    values instanceof Float64Array
      ? isFloatDType(dtype)
        ? (i) => formatFloat(values[i]!)
        : (i) => formatNumber(dtype, values[i]!)
      : (i) => formatJsonValue(values[i]);
  const write = (dim: number, offset: number, stride: number): string => {
    const n = shape[dim]!;
    const inner = stride / (n || 1);
    let out = '[';
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out += i === 0 ? cell(offset + i) : `, ${cell(offset + i)}`;
    } else {
      for (let i = 0; i < n; i++) out += (i === 0 ? '' : ', ') + write(dim + 1, offset + i * inner, inner);
    }
    return `${out}]`;
  };
  return write(0, 0, elementCount(shape));
}

function formatRecords(names: readonly string[], columns: readonly Column[], rows: number): string {
  const keys = names.map((n) => `${JSON.stringify(n)}: `);
  const records: string[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    let rec = '{';
    for (let j = 0; j < columns.length; j++) {
      const col = columns[j]!;
      if (j > 0) rec += ', ';
      rec += keys[j]! + formatCell(col.dtype, col.values, i);
    }
    records[i] = `${rec}}`;
  }
  return `[${records.join(', ')}]`;
}

/** The JSON text of a model output, without the `{"predictions": ...}` wrapper. */
export function formatOutput(output: ModelOutput): string {
  switch (output.kind) {
    case 'frame':
      return formatRecords(output.names, output.columns, output.rows);
    case 'series':
      return formatRecords([output.name], [output.column], output.column.values.length);
    case 'tensor':
      return formatTensor(output.tensor.dtype, output.tensor.shape, output.tensor.values);
    case 'tensors': {
      const parts = Object.entries(output.tensors).map(
        ([name, t]) => `${JSON.stringify(name)}: ${formatTensor(t.dtype, t.shape, t.values)}`,
      );
      return `{${parts.join(', ')}}`;
    }
    case 'json':
      return formatJsonValue(output.value);
  }
}
