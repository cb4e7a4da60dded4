/**
 * A serving replica thread: it holds its own copy of the CPU-bound model versions the main
 * thread serves, and runs whole requests on them (parse → decode → enforce → predict →
 * encode) so that the event loop of the main thread only moves bytes: the body arrives as
 * bytes (its buffer transferred), is parsed here straight from them (json-bytes.ts), and an answer from LARGE_ANSWER_BYTES on
 * goes back as UTF-8 bytes whose buffer is transferred too. Messages: `load` and `drop` a
 * version, `score` a request; every answer names the message it answers.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import pino from 'pino';
import { MlflowError } from '../errors.js';
import { CODECS, runPipeline } from './codec.js';
import { LoadedVersion } from './loaded-version.js';
import type { ReplicaAnswer, ReplicaMessage } from './replicas.js';

const port = parentPort!;
const versions = new Map<number, LoadedVersion>();
const logger = pino({ level: 'warn' }, pino.destination(2));
/**
 * Bodies from this size on are parsed straight from their bytes (json-bytes.ts): no second
 * copy as a string, and a recycled thread stops at once (JSON.parse cannot be interrupted).
 * Below it JSON.parse on the text is faster (json-bytes reads about 2-3x slower).
 */
const PARSE_BYTES_MIN = 1024 * 1024;
/**
 * After a request with a body from this size on, the thread collects its garbage once it has
 * answered: an idle thread runs no GC of its own, so the body's buffer (transferred from the
 * main thread) and the parsed request would hold their memory until the next request.
 */
const COLLECT_AFTER_BYTES = 4 * 1024 * 1024;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
/** Answers from this size on are sent as bytes: the main thread would copy a string. */
const LARGE_ANSWER_BYTES = 16 * 1024;

/** Whether `bytes` are the whole of their ArrayBuffer: it can be transferred without taking anything else along. */
function ownsBuffer(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

function failure(err: unknown): ReplicaAnswer['error'] {
  if (err instanceof MlflowError) {
    return { errorCode: err.errorCode, message: err.message, status: err.status, stackTrace: err.stackTrace };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { bug: { name: e.name, message: e.message, stack: e.stack ?? '' } };
}

port.on('message', async (m: ReplicaMessage) => {
  let answer: ReplicaAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    switch (m.type) {
      case 'load':
        versions.set(m.key, await LoadedVersion.load(m.identity, logger));
        answer = { id: m.id };
        break;
      case 'drop':
        await versions.get(m.key)?.retire();
        versions.delete(m.key);
        answer = { id: m.id };
        break;
      case 'score': {
        const version = versions.get(m.key);
        if (version === undefined) throw new Error(`replica ${m.key} is not loaded in this thread`);
        const codec = CODECS[m.codec];
        const { bytes, binary } = m.body;
        const parsed = codec.parseBytes !== undefined && binary === undefined && bytes.byteLength >= PARSE_BYTES_MIN ? codec.parseBytes(bytes) : codec.parse(m.body, false);
        const result = await runPipeline(codec, parsed, version, m.endpoint, m.wantPredictions);
        if (typeof result.body === 'string') {
          if (result.body.length >= LARGE_ANSWER_BYTES) {
            const encoded = new TextEncoder().encode(result.body);
            transfer.push(encoded.buffer);
            result.body = { bytes: encoded };
          }
        } else if (ownsBuffer(result.body.bytes)) {
          transfer.push(result.body.bytes.buffer);
        }
        answer = { id: m.id, result };
        break;
      }
    }
  } catch (err) {
    answer = { id: m.id, error: failure(err) };
  }
  port.postMessage(answer, transfer);
  if (m.type === 'score' && m.body.bytes.byteLength >= COLLECT_AFTER_BYTES) setImmediate(collectGarbage);
});
