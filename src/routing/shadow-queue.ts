/**
 * A bounded work queue for shadow requests. A job starts only after the primary response
 * has been handed to the socket (setImmediate runs after the promise continuations that
 * write it), at most `concurrency` jobs run at once, and at most `maxQueue` wait: beyond
 * that a job is dropped, so a slow shadow costs a counter, never memory or the primary's time.
 */

export type ShadowJob = () => Promise<void>;

export class ShadowQueue {
  private readonly waiting: ShadowJob[] = [];
  private running = 0;
  private closed = false;
  private idle: (() => void) | null = null;

  constructor(
    readonly maxQueue: number,
    readonly concurrency: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Schedules `job`; false when it was dropped because the queue is full or closed. */
  offer(job: ShadowJob): boolean {
    if (this.closed) return false;
    if (this.running < this.concurrency) {
      this.running++;
      setImmediate(() => this.run(job));
      return true;
    }
    if (this.waiting.length >= this.maxQueue) return false;
    this.waiting.push(job);
    return true;
  }

  /** Drops the waiting jobs and resolves once the running ones are done. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private run(job: ShadowJob): void {
    // A job reports its own outcome; a rejection here would be a bug in it, never the client's.
    job().then(
      () => this.next(),
      () => this.next(),
    );
  }

  private next(): void {
    const job = this.waiting.shift();
    if (job !== undefined && !this.closed) {
      setImmediate(() => this.run(job));
      return;
    }
    this.running--;
    if (this.running === 0 && this.idle !== null) this.idle();
  }
}
