/**
 * A model's pool of Python workers (processes: Python has a GIL). Requests queue here and
 * go to the first idle worker, one at a time per worker. A worker that dies is replaced
 * and the request it ran fails with a 500; a request that runs past the timeout gets a
 * 504 and its worker is killed and replaced, so one stuck predict never blocks the pool.
 */
import type { Logger } from 'pino';
import { MlflowError } from '../../src/errors.js';
import type { Message } from './protocol.js';
import { PythonWorker, WorkerExit, type LoadReply, type WorkerSpec } from './worker-process.js';

interface Job {
  build: (id: number) => Buffer;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  /** the worker running it, once dispatched */
  worker: PythonWorker | null;
  settled: boolean;
}

export interface PoolOptions {
  size: number;
  /** per-request limit (flowgate's -t); 0 = none */
  timeoutMs: number;
  /** names the model in errors */
  modelName: string;
}

/** Why a worker could not load the model: the worker's own report. */
export class WorkerLoadError extends Error {
  constructor(readonly reply: LoadReply | null, message: string) {
    super(message);
  }
}

const MAX_RESTART_DELAY_MS = 30_000;

export class WorkerPool {
  private readonly workers = new Set<PythonWorker>();
  private readonly idle: PythonWorker[] = [];
  private readonly queue: Job[] = [];
  private closing = false;
  private restartFailures = 0;
  /** the first worker's load reply: which Python, which loader */
  loadInfo: LoadReply | null = null;

  private constructor(
    private readonly spec: WorkerSpec,
    private readonly options: PoolOptions,
  ) {}

  /** Starts every worker and loads the model in each; fails (stopping them all) if one cannot. */
  static async start(spec: WorkerSpec, options: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(spec, options);
    const started = await Promise.allSettled(Array.from({ length: options.size }, () => pool.startWorker()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await pool.close();
      throw failed.reason;
    }
    return pool;
  }

  get size(): number {
    return this.workers.size;
  }

  pids(): number[] {
    return [...this.workers].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  /** Runs one request on the next idle worker. */
  run(build: (id: number) => Buffer): Promise<Message> {
    if (this.closing) return Promise.reject(new MlflowError('TEMPORARILY_UNAVAILABLE', `model ${this.options.modelName} is being retired`));
    return new Promise((resolve, reject) => {
      const job: Job = { build, resolve, reject, timer: null, worker: null, settled: false };
      if (this.options.timeoutMs > 0) job.timer = setTimeout(() => this.expire(job), this.options.timeoutMs);
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.queue.splice(0)) this.settle(job, new MlflowError('TEMPORARILY_UNAVAILABLE', `model ${this.options.modelName} was retired`));
    await Promise.all([...this.workers].map((w) => w.stop()));
  }

  /** Resident memory of each live worker, in bytes. */
  async rss(): Promise<{ pid: number; bytes: number }[]> {
    const out: { pid: number; bytes: number }[] = [];
    for (const worker of this.workers) {
      const bytes = await worker.rssBytes();
      if (bytes !== null && worker.pid !== undefined) out.push({ pid: worker.pid, bytes });
    }
    return out;
  }

  private async startWorker(): Promise<void> {
    const worker = PythonWorker.spawn(this.spec);
    let reply: LoadReply;
    try {
      reply = await worker.load(this.spec.load);
    } catch (err) {
      throw new WorkerLoadError(null, `the Python worker ${(err as Error).message} before it loaded the model (its output is in the log)`);
    }
    if (!reply.ok) {
      await worker.stop();
      throw new WorkerLoadError(reply, reply.error?.message ?? 'the Python worker could not load the model');
    }
    this.loadInfo ??= reply;
    if (this.closing) return void (await worker.stop());
    this.workers.add(worker);
    this.idle.push(worker);
    void worker.whenExited().then((exit) => this.onExit(worker, exit));
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift()!;
      const job = this.queue.shift()!;
      job.worker = worker;
      worker.request(job.build).then(
        (reply) => {
          this.settle(job, null, reply);
          if (worker.alive && !this.closing) {
            this.idle.push(worker);
            this.dispatch();
          }
        },
        (err: Error) => {
          const exit = err instanceof WorkerExit ? err : null;
          this.settle(
            job,
            new MlflowError(
              'INTERNAL_ERROR',
              `the Python worker (pid ${exit?.pid ?? worker.pid}) running model ${this.options.modelName} ${err.message} ` +
                'while predicting this request; it is being restarted',
            ),
          );
        },
      );
    }
  }

  /** The job's time is up: answered with 504; a worker still running it is killed (and replaced). */
  private expire(job: Job): void {
    if (job.settled) return;
    const seconds = this.options.timeoutMs / 1000;
    if (job.worker === null) {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.settle(job, new MlflowError('DEADLINE_EXCEEDED', `no Python worker of model ${this.options.modelName} became free within the request timeout (${seconds} s)`));
      return;
    }
    const worker = job.worker;
    this.settle(
      job,
      new MlflowError(
        'DEADLINE_EXCEEDED',
        `the Python worker (pid ${worker.pid}) running model ${this.options.modelName} did not answer within the request timeout (${seconds} s); it was killed and is being replaced`,
      ),
    );
    this.spec.logger.error({ pid: worker.pid, timeout_s: seconds }, 'Python worker stuck past the request timeout: killing it');
    worker.kill();
  }

  private settle(job: Job, error: Error | null, reply?: Message): void {
    if (job.settled) return;
    job.settled = true;
    if (job.timer !== null) clearTimeout(job.timer);
    if (error !== null) job.reject(error);
    else job.resolve(reply!);
  }

  private onExit(worker: PythonWorker, exit: WorkerExit): void {
    this.workers.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closing) return;
    this.spec.logger.error({ pid: exit.pid, how: exit.how }, `Python worker ${exit.message}: starting a replacement`);
    this.restart();
  }

  private restart(): void {
    const delay = this.restartFailures === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 250 * 2 ** this.restartFailures);
    setTimeout(() => {
      if (this.closing) return;
      this.startWorker().then(
        () => {
          this.restartFailures = 0;
        },
        (err: Error) => {
          this.restartFailures++;
          this.spec.logger.error({ err }, `a replacement Python worker failed to load the model: ${err.message}`);
          if (this.workers.size === 0) {
            for (const job of this.queue.splice(0)) {
              this.settle(job, new MlflowError('TEMPORARILY_UNAVAILABLE', `no Python worker of model ${this.options.modelName} is running: ${err.message}`));
            }
          }
          this.restart();
        },
      ).catch(() => {});
    }, delay).unref();
  }
}
