import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { formatFloat, formatOutput } from '../../src/protocol/json-output.js';
import { scoringResponseBody } from '../../src/protocol/scoring-request.js';

const FLOATS = [
  0, -0, 1, -1, 0.1, 1.5, 1e-5, 0.0001, 0.00012345, 1e-4, 9.999e-5, 123456789012345.6, 1e15, 1e16, 1.5e16, 9999999999999998,
  1e21, 1e22, 2.5e-300, 5e-324, 1.7976931348623157e308, 0.981583297252655, 1.4506358780863593e-8, 206.11668395996094,
  Math.fround(0.1), Math.PI, -Math.E * 1e-7, 12345678.9, NaN, Infinity, -Infinity,
];

describe("floats are written as Python's json.dumps writes them", () => {
  test('matches python3 repr for a spread of magnitudes', () => {
    const py = execFileSync('python3', ['-c', 'import json,sys; print(json.dumps([float(x) for x in json.loads(sys.stdin.read())]))'], {
      input: JSON.stringify(FLOATS.map((x) => (Number.isFinite(x) ? (Object.is(x, -0) ? '-0.0' : String(x)) : String(x).replace('Infinity', 'inf')))),
    })
      .toString()
      .trim();
    expect(`[${FLOATS.map(formatFloat).join(', ')}]`).toBe(py);
  });
});

describe('outputs are shaped as MLflow serialises them', () => {
  test('an int64 ndarray is a flat list of ints; float64 keeps .0', () => {
    expect(formatOutput({ kind: 'tensor', tensor: { dtype: 'int64', shape: [3], values: Float64Array.of(0, 2, 1) } })).toBe('[0, 2, 1]');
    expect(formatOutput({ kind: 'tensor', tensor: { dtype: 'float64', shape: [2, 2], values: Float64Array.of(1, 2.5, NaN, -3) } })).toBe(
      '[[1.0, 2.5], [NaN, -3.0]]',
    );
  });
  test('a DataFrame becomes records, a Series records under its name', () => {
    const f = { kind: 'frame' as const, names: ['a', 'b'], rows: 2, columns: [
      { dtype: 'float32' as const, values: Float64Array.of(Math.fround(0.1), 2) },
      { dtype: 'string' as const, values: ['x', null] },
    ] };
    expect(formatOutput(f)).toBe('[{"a": 0.10000000149011612, "b": "x"}, {"a": 2.0, "b": null}]');
    expect(formatOutput({ kind: 'series', name: '0', column: { dtype: 'bool', values: Float64Array.of(1, 0) } })).toBe('[{"0": true}, {"0": false}]');
  });
  test('a dict of tensors is an object of nested lists, wrapped in predictions', () => {
    const out = scoringResponseBody({ unwrapped: false }, formatOutput({ kind: 'tensors', tensors: { label: { dtype: 'int64', shape: [1], values: Float64Array.of(2) } } }));
    expect(out).toBe('{"predictions": {"label": [2]}}');
  });
  test('bytes become base64 with encodebytes line breaks', () => {
    expect(formatOutput({ kind: 'json', value: [new Uint8Array([104, 105])] })).toBe('["aGk=\\n"]');
  });
});
