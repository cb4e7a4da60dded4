/**
 * The scoring server's per-request time limit (MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT).
 * The deadline is armed before the work starts: decoding and pure-JS flavors run
 * synchronously, and what they take counts against the limit too.
 */

export class Timeout extends Error {}

/** MLflow's 504 body. */
export const TIMEOUT_BODY = 'Request processing time exceeded limit';

/** `work()`'s result, or a Timeout once `limitMs` has passed. */
export async function withDeadline<T>(limitMs: number, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), limitMs);
    });
    const result = await Promise.race([work(), deadline]);
    if (performance.now() - started > limitMs) throw new Timeout();
    return result;
  } finally {
    clearTimeout(timer);
  }
}
