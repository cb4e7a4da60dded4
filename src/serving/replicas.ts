/**
 * The replica threads of `flowgate serve -w N`: N worker threads, each holding a replica of
 * every CPU-bound model version served (flavors with `cpuBound`), so that decoding, schema
 * enforcement, predict and encoding of large requests run off the event loop and on every
 * core. A version is swapped in only once every thread has loaded it, so all threads serve
 * the same versions. A request goes to the thread with the fewest requests in flight.
 * Requests and large answers cross as bytes whose buffers are transferred, never as strings
 * (a string is copied, and a large one costs the main thread milliseconds).
 *
 * A request that outlives its deadline is abandoned: the thread running it is terminated
 * (no CPU keeps burning on an answer nobody waits for) and a fresh thread replaces it,
 * loading the versions served.
 *
 * The thread runs the compiled replica-worker.js; under vitest (TypeScript sources) that
 * is its dist/ copy, so tests need `npm run build` first (`npm test` does it).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { MlflowError, type ErrorCode } from '../errors.js';
import type { BytesPayload, CodecName, PipelineResult as ReplicaResult } from './codec.js';
import type { ModelIdentity } from './loaded-version.js';
import { workerModuleUrl } from '../worker-url.js';

export type ReplicaMessage =
  | { type: 'load'; id: number; key: number; identity: ModelIdentity }
  | { type: 'drop'; id: number; key: number }
  | { type: 'score'; id: number; key: number; codec: CodecName; body: BytesPayload; endpoint: string; wantPredictions: boolean };

export interface ReplicaAnswer {
  id: number;
  result?: ReplicaResult;
  error?: { errorCode: ErrorCode; message: string; status: number; stackTrace: string | undefined } | { bug: { name: string; message: string; stack: string } };
}

/** A bug in a replica thread, rethrown on the main thread with the thread's stack. */
export class ReplicaBug extends Error {
  constructor(name: string, message: string, stack: string) {
    super(`${name}: ${message}`);
    this.name = 'ReplicaBug';
    this.stack = stack;
  }
}

interface Pending {
  resolve: (answer: ReplicaAnswer) => void;
  reject: (err: Error) => void;
}

class ReplicaThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();

  constructor(url: URL, onExit: (thread: ReplicaThread, err: Error) => void) {
    this.worker = new Worker(url);
    this.worker.on('message', (answer: ReplicaAnswer) => {
      const p = this.pending.get(answer.id);
      if (p === undefined) return;
      this.pending.delete(answer.id);
      p.resolve(answer);
    });
    this.worker.on('error', (err) => onExit(this, err));
    this.worker.on('exit', (code) => onExit(this, new Error(`replica thread exited with code ${code}`)));
  }

  /** `transfer`: buffers the thread takes over (moved, not copied; unusable here afterwards). */
  send(message: ReplicaMessage, transfer: ArrayBuffer[] = []): Promise<ReplicaAnswer> {
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** A job in flight: its promise, and the thread to recycle when it is abandoned. */
export interface ReplicaJob {
  readonly done: Promise<ReplicaResult>;
  abandon(): void;
}

export class ReplicaPool {
  private readonly threads: ReplicaThread[] = [];
  /** the versions loaded in every thread, to load again in a replacement thread */
  private readonly loaded = new Map<number, ModelIdentity>();
  private nextId = 1;
  private nextKey = 1;
  private closed = false;
  private readonly url = workerModuleUrl(new URL('./replica-worker.js', import.meta.url));

  /** Threads start with the first CPU-bound version: a process serving only ONNX has none. */
  constructor(
    readonly size: number,
    private readonly logger: Logger,
  ) {}

  /** Loads a version in every thread; resolves to its key once all have it. */
  async load(identity: ModelIdentity): Promise<number> {
    while (this.threads.length < this.size) this.threads.push(this.spawn());
    const key = this.nextKey++;
    const answers = await Promise.all(this.threads.map((t) => t.send({ type: 'load', id: this.nextId++, key, identity })));
    const failed = answers.find((a) => a.error !== undefined);
    if (failed !== undefined) {
      await this.drop(key);
      throw answerError(failed);
    }
    this.loaded.set(key, identity);
    return key;
  }

  /** Forgets a version in every thread. */
  async drop(key: number): Promise<void> {
    this.loaded.delete(key);
    await Promise.all(this.threads.map((t) => t.send({ type: 'drop', id: this.nextId++, key }).catch(() => undefined)));
  }

  /**
   * Scores one request on the least busy thread. The body's buffer is transferred to the
   * thread (zero-copy: `body.bytes` must be the whole of its buffer, and is detached afterwards);
   * the thread decodes it, and sends a large answer back as transferred bytes too.
   */
  score(key: number, codec: CodecName, body: BytesPayload, endpoint: string, wantPredictions: boolean): ReplicaJob {
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
    const message: ReplicaMessage = { type: 'score', id: this.nextId++, key, codec, body, endpoint, wantPredictions };
    const done = thread.send(message, [body.bytes.buffer as ArrayBuffer]).then((answer) => {
      if (answer.error !== undefined) throw answerError(answer);
      return answer.result!;
    });
    return { done, abandon: () => this.recycle(thread) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(): ReplicaThread {
    const thread = new ReplicaThread(this.url, (t, err) => this.replace(t, err));
    for (const [key, identity] of this.loaded) {
      thread.send({ type: 'load', id: this.nextId++, key, identity }).then(
        (a) => a.error !== undefined && this.logger.error({ err: answerError(a), model: identity.name }, 'a replacement replica thread cannot load a served version'),
        () => undefined,
      );
    }
    return thread;
  }

  /** Replaces a thread running abandoned work at once (no new request goes to it), then terminates it. */
  private recycle(thread: ReplicaThread): void {
    this.replace(thread, new Error('the request was abandoned (deadline): its replica thread was recycled'));
    void thread.worker.terminate();
  }

  private replace(thread: ReplicaThread, err: Error): void {
    const i = this.threads.indexOf(thread);
    if (i < 0) return; // already replaced ('error' then 'exit')
    thread.failAll(err);
    if (this.closed) return;
    this.threads[i] = this.spawn();
  }
}

function answerError(answer: ReplicaAnswer): Error {
  const e = answer.error!;
  if ('bug' in e) return new ReplicaBug(e.bug.name, e.bug.message, e.bug.stack);
  return new MlflowError(e.errorCode, e.message, { status: e.status, ...(e.stackTrace === undefined ? {} : { stackTrace: e.stackTrace }) });
}
