/**
 * One error renderer per protocol: MLflow's `{error_code, message[, stack_trace]}` (and its
 * plain-text 504), and the Open Inference Protocol's `{"error": message}`. Routes under /v2
 * answer V2 bodies, including from the app's not-found and error handlers. Messages are
 * bounded: MLflow echoes the whole request (or every bad column) in some of them, which
 * for a 100 MB body is a 100 MB error; past MAX_MESSAGE_CHARS the rest is cut and said so.
 */
import type { MlflowError } from '../errors.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** MLflow's 504 body. */
const TIMEOUT_BODY = 'Request processing time exceeded limit';

/** The longest error message (and stack trace) sent, in characters. */
export const MAX_MESSAGE_CHARS = 4096;

/** `text`, or its first MAX_MESSAGE_CHARS characters and "… (truncated, N bytes)". */
export function boundedMessage(text: string): string {
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  return `${text.slice(0, MAX_MESSAGE_CHARS)}… (truncated, ${Buffer.byteLength(text, 'utf8')} bytes)`;
}

function mlflowBody(err: MlflowError): string {
  const body = err.toJSON();
  body.message = boundedMessage(body.message);
  if (body.stack_trace !== undefined) body.stack_trace = boundedMessage(body.stack_trace);
  return JSON.stringify(body);
}

export type ErrorRenderer = (err: MlflowError, headers?: Record<string, string> | Headers) => Response;

export const renderMlflowError: ErrorRenderer = (err, headers = JSON_TYPE) =>
  new Response(err.errorCode === 'DEADLINE_EXCEEDED' ? TIMEOUT_BODY : mlflowBody(err), { status: err.status, headers });

export const renderV2Error: ErrorRenderer = (err, headers = JSON_TYPE) =>
  new Response(JSON.stringify({ error: boundedMessage(err.message) }), { status: err.status, headers });

function isV2Path(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

export function rendererFor(path: string): ErrorRenderer {
  return isV2Path(path) ? renderV2Error : renderMlflowError;
}
