/**
 * The scoring server's per-request time limit (MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT).
 * The deadline is armed before the work starts: decoding and pure-JS flavors run
 * synchronously, and what they take counts against the limit too.
 */

export class Timeout extends Error {}

/** `work`'s result, or a Timeout once `limitMs` has passed (the work itself runs on). */
export async function withDeadline<T>(limitMs: number, work: Promise<T>, started: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), Math.max(0, limitMs - (performance.now() - started)));
    });
    const result = await Promise.race([work, deadline]);
    if (performance.now() - started > limitMs) throw new Timeout();
    return result;
  } finally {
    clearTimeout(timer);
  }
}
