/**
 * Errors carry MLflow's error_code and HTTP status from where they are raised;
 * the HTTP layer only renders them as `{error_code, message[, stack_trace]}`.
 */

const STATUS_BY_CODE: Record<string, number> = {
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export function statusForErrorCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

export class MlflowError extends Error {
  readonly errorCode: string;
  readonly status: number;
  readonly stackTrace: string | undefined;

  constructor(errorCode: string, message: string, options: { status?: number; stackTrace?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlflowError';
    this.errorCode = errorCode;
    this.status = options.status ?? statusForErrorCode(errorCode);
    this.stackTrace = options.stackTrace;
  }

  toJSON(): { error_code: string; message: string; stack_trace?: string } {
    return this.stackTrace === undefined
      ? { error_code: this.errorCode, message: this.message }
      : { error_code: this.errorCode, message: this.message, stack_trace: this.stackTrace };
  }
}

export const invalidInput = (message: string): MlflowError =>
  new MlflowError('BAD_REQUEST', `Invalid input. ${message}`);

export const invalidParameter = (message: string): MlflowError =>
  new MlflowError('INVALID_PARAMETER_VALUE', message);

export const notFound = (message: string): MlflowError =>
  new MlflowError('RESOURCE_DOES_NOT_EXIST', message);

/** A model file or configuration a flavor cannot serve: raised at load, never at request time. */
export class FlavorError extends Error {
  constructor(readonly flavor: string, message: string, options?: { cause?: unknown }) {
    super(`flavor ${flavor}: ${message}`, options);
    this.name = 'FlavorError';
  }
}
