/**
 * A short pandas/numpy-like repr of request data, for MLflow's error messages
 * ("Failed to predict data '<repr>'"). Bounded: large inputs are elided.
 */
import type { Column, ModelInput, Tensor } from './data.js';

const MAX_ROWS = 10;

function cell(col: Column | Tensor, i: number): string {
  const v = col.values[i];
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (col.dtype === 'bool') return v ? 'True' : 'False';
    return col.dtype.startsWith('float') && Number.isInteger(v) ? `${v}.0` : String(v);
  }
  if (v === null || v === undefined) return 'None';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function describeTensor(t: Tensor): string {
  const n = t.values.length;
  const shown = Math.min(n, MAX_ROWS * 4);
  const cells: string[] = [];
  for (let i = 0; i < shown; i++) cells.push(cell(t, i));
  if (n > shown) cells.push('...');
  return `array(${cells.join(' ')}, shape=(${t.shape.join(', ')}))`;
}

export function describeInput(input: ModelInput): string {
  switch (input.kind) {
    case 'tensor':
      return describeTensor(input.tensor);
    case 'tensors':
      return `{${Object.entries(input.tensors).map(([k, t]) => `'${k}': ${describeTensor(t)}`).join(', ')}}`;
    case 'frame': {
      const rows = Math.min(input.rows, MAX_ROWS);
      const table = [input.names.map(String)];
      for (let i = 0; i < rows; i++) table.push(input.columns.map((c) => cell(c, i)));
      const widths = input.names.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
      const indexWidth = String(Math.max(rows - 1, 0)).length;
      const lines = table.map((r, i) =>
        [(i === 0 ? '' : String(i - 1)).padEnd(indexWidth), ...r.map((c, j) => c.padStart(widths[j]!))].join('  '),
      );
      if (input.rows > rows) lines.push(`... (${input.rows} rows)`);
      return lines.join('\n');
    }
  }
}
