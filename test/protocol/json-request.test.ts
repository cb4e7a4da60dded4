import { describe, expect, test } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { decodeJsonRequest } from '../../src/protocol/json-request.js';
import { parseSchema, type Signature } from '../../src/model/signature.js';
import { enforceSchema } from '../../src/model/enforce.js';

const columns: Signature = {
  inputs: parseSchema('[{"type":"double","name":"a"},{"type":"long","name":"b"},{"type":"string","name":"c"}]'),
  outputs: null,
  params: null,
};
const tensor: Signature = {
  inputs: parseSchema('[{"name":"x","type":"tensor","tensor-spec":{"dtype":"float32","shape":[-1,2]}}]'),
  outputs: null,
  params: null,
};

function errorOf(fn: () => unknown): MlflowError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MlflowError);
    return err as MlflowError;
  }
  throw new Error('expected an MlflowError');
}

describe('request decoding', () => {
  test('dataframe_split, records, inputs and instances give the same enforced frame', () => {
    const bodies = [
      '{"dataframe_split": {"columns": ["c","a","b"], "data": [["x", 1, 2.9], ["y", 2.5, 3]]}}',
      '{"dataframe_records": [{"a": 1, "b": 2.9, "c": "x"}, {"a": 2.5, "b": 3, "c": "y", "extra": 1}]}',
      '{"inputs": {"a": [1, 2.5], "b": [2.9, 3], "c": ["x", "y"]}}',
      '{"instances": [{"a": 1, "b": 2.9, "c": "x"}, {"a": 2.5, "b": 3, "c": "y"}]}',
      '{"inputs": [{"a": 1, "b": 2.9, "c": "x"}, {"a": 2.5, "b": 3, "c": "y"}]}',
    ];
    for (const body of bodies) {
      const { input } = decodeJsonRequest(body, columns);
      const enforced = enforceSchema(input, columns.inputs!);
      expect(enforced.kind).toBe('frame');
      if (enforced.kind !== 'frame') continue;
      expect(enforced.names, body).toEqual(['a', 'b', 'c']);
      expect(Array.from(enforced.columns[0]!.values as Float64Array)).toEqual([1, 2.5]);
      expect(enforced.columns[1]!.dtype).toBe('int64');
      expect(Array.from(enforced.columns[1]!.values as Float64Array), body).toEqual([2, 3]); // astype truncates
      expect(enforced.columns[2]!.values).toEqual(['x', 'y']);
    }
  });

  test('NaN and Infinity tokens are accepted, as Python json does', () => {
    const { input } = decodeJsonRequest('{"inputs": [[NaN, Infinity], [-Infinity, 1]]}', tensor);
    expect(input.kind).toBe('tensors');
    if (input.kind === 'tensors') expect(Array.from(input.tensors.x!.values as Float64Array)).toEqual([NaN, Infinity, -Infinity, 1]);
  });

  test.each([
    ['{"dataframe_split": {"columns": [', 'BAD_REQUEST', 'Ensure that input is a valid JSON formatted string'],
    ['[1, 2]', 'BAD_REQUEST', 'Received a list.'],
    ['3', 'BAD_REQUEST', "Received unexpected input type '<class 'int'>'"],
    ['{}', 'BAD_REQUEST', 'Received dictionary with input fields: []'],
    ['{"inputs": [[1,2]], "instances": [[1,2]]}', 'BAD_REQUEST', "input fields: ['instances', 'inputs']"],
    ['{"dataframe_split": [[1]]}', 'BAD_REQUEST', 'Dataframe split format must be a dictionary. Got list.'],
    ['{"dataframe_split": {"rows": []}}', 'BAD_REQUEST', "must have 'data' field"],
    ['{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', 'BAD_REQUEST', 'not a valid dataframe representation'],
    ['{"dataframe_records": {"a": 1}}', 'BAD_REQUEST', 'Got dictionary.'],
    ['{"instances": [{"a": 1}, {"a": 2, "b": 3}]}', 'BAD_REQUEST', 'The length of values for each input/column name are not the same'],
  ])('%s → %s', (body, code, message) => {
    const err = errorOf(() => decodeJsonRequest(body, columns));
    expect(err.errorCode).toBe(code);
    expect(err.status).toBe(400);
    expect(err.message).toContain(message);
  });

  test('schema failures: missing column (INVALID_PARAMETER_VALUE), uncastable value (BAD_REQUEST)', () => {
    const missing = errorOf(() => enforceSchema(decodeJsonRequest('{"dataframe_split": {"columns": ["a","b"], "data": [[1, 2]]}}', columns).input, columns.inputs!));
    expect(missing.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(missing.message).toContain("Model is missing inputs ['c']");
    const bad = errorOf(() => enforceSchema(decodeJsonRequest('{"dataframe_split": {"columns": ["a","b","c"], "data": [["abc", 2, "x"]]}}', columns).input, columns.inputs!));
    expect(bad.errorCode).toBe('BAD_REQUEST');
    expect(bad.message).toContain('Data is not compatible with model signature. Failed to convert column a');
    const nullInt = errorOf(() => enforceSchema(decodeJsonRequest('{"dataframe_split": {"columns": ["a","b","c"], "data": [[1, null, "x"]]}}', columns).input, columns.inputs!));
    expect(nullInt.message).toContain('Failed to convert column b');
  });

  test('tensor shapes are checked', () => {
    const err = errorOf(() => enforceSchema(decodeJsonRequest('{"inputs": [[1, 2, 3]]}', tensor).input, tensor.inputs!));
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toContain('Shape of input (1, 3) does not match expected shape (-1, 2).');
  });

  test('records keep their written column order, integer-like names included (JSON.parse lists those first)', () => {
    const body = '{"dataframe_records": [{"b": 1, "10": 2, "2" : 3, "a\\"{": NaN, "v": {"9": 1, "0": 2}}, {"e": 4, "1": 5}]}';
    const { input } = decodeJsonRequest(body, null);
    expect(input.kind === 'frame' && input.names).toEqual(['b', '10', '2', 'a"{', 'v', 'e', '1']);
    // values stay with their names; a nested object is a value, untouched
    expect(input.kind === 'frame' && [...input.columns[1]!.values]).toEqual([2, NaN]);
    expect(input.kind === 'frame' && input.columns[4]!.values[0]).toEqual({ 9: 1, 0: 2 });
    // without integer-like names the text is not read again: plain insertion order
    const plain = decodeJsonRequest('{"dataframe_records": [{"b": 1, "a": 2}]}', null).input;
    expect(plain.kind === 'frame' && plain.names).toEqual(['b', 'a']);
  });

  test('unified-LLM fields switch to the unwrapped mode', () => {
    const r = decodeJsonRequest('{"messages": [{"role": "user"}], "temperature": 0.5}', null);
    expect(r.unwrapped).toBe(true);
  });
});
