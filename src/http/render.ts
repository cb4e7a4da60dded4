/**
 * One error renderer per protocol: MLflow's `{error_code, message[, stack_trace]}` (and its
 * plain-text 504), and the Open Inference Protocol's `{"error": message}`. Routes under /v2
 * answer V2 bodies, including from the app's not-found and error handlers.
 */
import type { MlflowError } from '../errors.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** MLflow's 504 body. */
const TIMEOUT_BODY = 'Request processing time exceeded limit';

export type ErrorRenderer = (err: MlflowError, headers?: Record<string, string>) => Response;

export const renderMlflowError: ErrorRenderer = (err, headers = JSON_TYPE) =>
  new Response(err.errorCode === 'DEADLINE_EXCEEDED' ? TIMEOUT_BODY : JSON.stringify(err.toJSON()), { status: err.status, headers });

export const renderV2Error: ErrorRenderer = (err, headers = JSON_TYPE) =>
  new Response(JSON.stringify({ error: err.message }), { status: err.status, headers });

function isV2Path(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

export function rendererFor(path: string): ErrorRenderer {
  return isV2Path(path) ? renderV2Error : renderMlflowError;
}
