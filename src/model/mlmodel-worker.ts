/**
 * Parses one MLmodel file on a thread of its own, so that a large one (the YAML parser is
 * superlinear: a 1 MB file takes seconds) never holds the serving event loop. Gets the
 * text and where it comes from; answers the parsed MLmodel or the error, as plain data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MlflowError } from '../errors.js';
import { parseMLmodel, type ParseAnswer } from './mlmodel.js';

const { text, where } = workerData as { text: string; where: string };
let answer: ParseAnswer;
try {
  answer = { mlmodel: parseMLmodel(text, where) };
} catch (err) {
  answer =
    err instanceof MlflowError
      ? { error: { errorCode: err.errorCode, message: err.message } }
      : { bug: { message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack ?? '' } };
}
parentPort!.postMessage(answer);
