/**
 * `text/csv` bodies as pandas.read_csv reads them (spec §1.6): the first line is the
 * header, cells are inferred (int, float, else string; empty is NaN), and with a column
 * schema each named column is read as its schema type.
 */
import { MlflowError } from '../errors.js';
import { frame, type Column, type ModelInput } from '../model/data.js';
import { castColumn, CastError, dtypeOfScalar, numpyName } from '../model/cast.js';
import { columnFromValues } from '../model/infer.js';
import type { Schema } from '../model/signature.js';

const PARSE_FAILED =
  'Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method.';

function fail(why: string): MlflowError {
  return new MlflowError('BAD_REQUEST', `${PARSE_FAILED} Error: '${why}'`, { stackTrace: `pandas.errors.ParserError: ${why}` });
}

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') (field += '"'), i++;
        else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (!(record.length === 1 && record[0] === '')) records.push(record); // pandas skips blank lines
      record = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) throw fail('Error tokenizing data. C error: EOF inside string');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const NA = new Set(['', 'NaN', 'nan', 'NA', 'N/A', 'null', 'NULL', '<NA>']);
const INT = /^\s*[+-]?\d+\s*$/;
const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?inf(inity)?\s*$/i;

/** pandas' inference of a CSV column: int64, float64 (any decimal or NA), bool, else strings. */
function csvColumn(raw: string[]): Column {
  const cells = raw.filter((s) => !NA.has(s));
  if (cells.length > 0 && cells.every((s) => INT.test(s) || FLOAT.test(s))) {
    const isInt = cells.length === raw.length && cells.every((s) => INT.test(s));
    const values = new Float64Array(raw.length);
    raw.forEach((s, i) => (values[i] = NA.has(s) ? NaN : Number(s.trim().replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'))));
    return { dtype: isInt ? 'int64' : 'float64', values };
  }
  if (cells.length > 0 && cells.length === raw.length && cells.every((s) => /^(true|false)$/i.test(s))) {
    return { dtype: 'bool', values: Float64Array.from(raw, (s) => (s.toLowerCase() === 'true' ? 1 : 0)) };
  }
  return columnFromValues(raw.map((s) => (NA.has(s) ? null : s)));
}

export function decodeCsvRequest(body: string, schema: Schema | null): ModelInput {
  if (schema !== null && schema.kind === 'tensors') {
    throw fail('TensorSpec schemas cannot be read from CSV; send JSON `inputs` instead');
  }
  // pandas skips a leading UTF-8 byte-order mark (Excel's "CSV UTF-8" writes one)
  const records = parseCsvRecords(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body);
  if (records.length === 0) throw fail('No columns to parse from file');
  const header = records[0]!;
  const rows = records.slice(1);
  for (const [i, r] of rows.entries()) {
    if (r.length > header.length) throw fail(`Error tokenizing data. C error: Expected ${header.length} fields in line ${i + 2}, saw ${r.length}`);
  }
  const specs = schema?.kind === 'columns' ? schema.columns : [];
  const named = specs.length > 0 && specs[0]!.name !== null;
  const columns: Column[] = header.map((name, j) => {
    const raw = rows.map((r) => r[j] ?? '');
    const inferred = csvColumn(raw);
    const spec = named ? specs.find((s) => s.name === name) : specs[j];
    if (spec === undefined) return inferred;
    if (spec.type.kind !== 'scalar') throw fail(`data type '${spec.type.kind}' not understood`);
    if (spec.type.type === 'datetime') throw fail("the dtype datetime64[ns] is not supported for parsing, pass this column using parse_dates instead");
    const to = dtypeOfScalar(spec.type.type);
    // read_csv with an explicit dtype parses the raw text: "1.5" is not a long.
    const source: Column = to === 'string' || to === 'bytes' ? { dtype: 'string', values: raw.map((s) => (s === '' ? null : s)) } : inferred;
    try {
      return castColumn(source.dtype === 'float64' && to.startsWith('int') ? strictIntColumn(raw, name, to) : source, to);
    } catch (err) {
      if (err instanceof CastError) throw fail(`Unable to parse string for column ${name} as ${numpyName(to)}: ${err.message}`);
      throw err;
    }
  });
  return frame(header, columns.length === 0 ? [] : columns);
}

function strictIntColumn(raw: string[], name: string, to: string): Column {
  const values = new Float64Array(raw.length);
  raw.forEach((s, i) => {
    if (!/^\s*[+-]?\d+\s*$/.test(s)) throw fail(`invalid literal for int() with base 10: '${s}' (column ${name}, ${to})`);
    values[i] = Number(s);
  });
  return { dtype: 'int64', values };
}
