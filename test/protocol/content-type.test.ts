import { describe, expect, test } from 'vitest';
import { requestFormat, UnsupportedContentType } from '../../src/protocol/content-type.js';

describe('content types as MLflow checks them', () => {
  test.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/json;charset=UTF-8', 'json'],
    ['text/csv', 'csv'],
    ['text/csv; charset=utf-8', 'csv'],
  ])('%s is %s', (header, format) => expect(requestFormat(header)).toBe(format));

  test.each([
    ['application/json; charset=latin-1', 'The scoring server only supports UTF-8'],
    ['application/json; format=pandas-split', 'Unrecognized content type parameters: format.'],
    ['Application/JSON', "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'Application/JSON'."],
    ['text/plain', "Got 'text/plain'."],
    [undefined, 'Missing Content-Type header'],
  ])('%s is refused', (header, message) => {
    expect(() => requestFormat(header)).toThrow(UnsupportedContentType);
    expect(() => requestFormat(header)).toThrow(message);
  });
});
