/**
 * Errors carry MLflow's error_code and HTTP status from where they are raised;
 * the HTTP layer only renders them as `{error_code, message[, stack_trace]}`.
 */

/**
 * MLflow's error codes (its protobuf ErrorCode enum, as the REST API spells them). Codes a
 * request's own fault raises map to 4xx; INTERNAL_ERROR is flowgate's own bug, never the
 * client's, and is rendered as a 500.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_PARAMETER_VALUE'
  | 'MALFORMED_REQUEST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'INVALID_STATE_TRANSITION'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'NOT_FOUND'
  | 'ENDPOINT_NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'FEATURE_DISABLED'
  | 'UNAUTHENTICATED'
  | 'CUSTOMER_UNAUTHORIZED'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_CONFLICT'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'RESOURCE_EXHAUSTED'
  | 'RESOURCE_LIMIT_EXCEEDED'
  | 'QUOTA_EXCEEDED'
  | 'CANCELLED'
  | 'NOT_IMPLEMENTED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'SERVICE_UNDER_MAINTENANCE'
  | 'DEADLINE_EXCEEDED'
  | 'IO_ERROR'
  | 'DATA_LOSS'
  | 'UNPARSEABLE_HTTP_ERROR'
  | 'INTERNAL_ERROR';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  INVALID_STATE_TRANSITION: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  FEATURE_DISABLED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  RESOURCE_LIMIT_EXCEEDED: 429,
  QUOTA_EXCEEDED: 429,
  CANCELLED: 499,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  SERVICE_UNDER_MAINTENANCE: 503,
  DEADLINE_EXCEEDED: 504,
  IO_ERROR: 500,
  DATA_LOSS: 500,
  UNPARSEABLE_HTTP_ERROR: 500,
  INTERNAL_ERROR: 500,
};

/** A code read from elsewhere (a tracking server's answer); one outside the union is INTERNAL_ERROR. */
export function toErrorCode(code: string): ErrorCode {
  return Object.hasOwn(STATUS_BY_CODE, code) ? (code as ErrorCode) : 'INTERNAL_ERROR';
}

function statusForErrorCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

export class MlflowError extends Error {
  readonly errorCode: ErrorCode;
  readonly status: number;
  readonly stackTrace: string | undefined;

  constructor(errorCode: ErrorCode, message: string, options: { status?: number; stackTrace?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlflowError';
    this.errorCode = errorCode;
    this.status = options.status ?? statusForErrorCode(errorCode);
    this.stackTrace = options.stackTrace;
  }

  toJSON(): { error_code: ErrorCode; message: string; stack_trace?: string } {
    return this.stackTrace === undefined
      ? { error_code: this.errorCode, message: this.message }
      : { error_code: this.errorCode, message: this.message, stack_trace: this.stackTrace };
  }
}

export const invalidInput = (message: string): MlflowError =>
  new MlflowError('BAD_REQUEST', `Invalid input. ${message}`);

export const notFound = (message: string): MlflowError =>
  new MlflowError('RESOURCE_DOES_NOT_EXIST', message);

/** A model file or configuration a flavor cannot serve: raised at load, never at request time. */
export class FlavorError extends Error {
  constructor(readonly flavor: string, message: string, options?: { cause?: unknown }) {
    super(`flavor ${flavor}: ${message}`, options);
    this.name = 'FlavorError';
  }
}
