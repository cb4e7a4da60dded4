/**
 * Which failures are flowgate's own. A model that raises is the request's problem, as in
 * MLflow (400 with the error and its stack); a JavaScript engine error (a TypeError on
 * undefined, a RangeError from a stack or array limit, ...) is a bug in our code and
 * becomes a 500 INTERNAL_ERROR that is logged with its stack and counted on its own.
 */

export function isOwnBug(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof ReferenceError ||
    err instanceof SyntaxError ||
    err instanceof EvalError ||
    err instanceof URIError
  );
}
