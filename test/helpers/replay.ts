/**
 * Sends a recorded request to a flowgate server and compares the answer with what real
 * MLflow answered: same status, same error_code, predictions equal within a tolerance.
 */
import { expect } from 'vitest';
import { parseJsonLenient } from '../../src/protocol/lenient-json.js';
import type { Exchange } from './fixtures.js';

export async function send(baseUrl: string, request: Exchange['request']): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) if (k.toLowerCase() !== 'content-length') headers[k] = v;
  return fetch(baseUrl + request.path, {
    method: request.method,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : (request.body ?? ''),
  });
}

/** Python json.loads: bare NaN/Infinity allowed (outside strings). */
export const parsePythonJson = parseJsonLenient;

export function expectClose(actual: unknown, expected: unknown, tolerance: number, path = 'predictions'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, `${path} type`).toBe('number');
    if (Number.isNaN(expected)) return expect(Number.isNaN(actual as number), `${path} NaN`).toBe(true);
    const scale = Math.max(1, Math.abs(expected));
    expect(Math.abs((actual as number) - expected), `${path}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(tolerance * scale);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is a list`).toBe(true);
    expect((actual as unknown[]).length, `${path} length`).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, tolerance, `${path}[${i}]`));
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    expect(typeof actual === 'object' && actual !== null, `${path} is an object`).toBe(true);
    expect(Object.keys(actual as object).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, tolerance, `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

/** Replays one exchange and checks flowgate answers as MLflow did. */
export async function expectSameAnswer(baseUrl: string, exchange: Exchange, tolerance = 1e-6): Promise<void> {
  const res = await send(baseUrl, exchange.request);
  const text = await res.text();
  const want = exchange.response;
  expect(res.status, `${exchange.case}: status (body ${text.slice(0, 300)})`).toBe(want.status);
  const wantType = (Object.entries(want.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '').split(';')[0];
  if (want.status === 200) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectClose(parsePythonJson(text), parsePythonJson(want.body), tolerance);
  } else if (wantType === 'application/json' && want.body.trim().startsWith('{')) {
    const got = JSON.parse(text) as { error_code?: string; message?: string };
    const expected = parsePythonJson(want.body) as { error_code: string };
    expect(got.error_code, `${exchange.case}: error_code (message ${got.message?.slice(0, 300)})`).toBe(expected.error_code);
    expect(typeof got.message).toBe('string');
  }
}
