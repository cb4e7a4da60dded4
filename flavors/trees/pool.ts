/**
 * Worker threads for large batches. Tree evaluation is pure CPU work that splits cleanly by
 * rows, so a 100k-row request can use every core instead of one, and the event loop stays
 * free to answer /ping and other requests meanwhile.
 *
 * - One pool per process, sized to the machine (os.availableParallelism()), started on first
 *   use and unref'd so it never keeps the process alive.
 * - An ensemble's arrays are copied into SharedArrayBuffers once and sent to each worker once;
 *   each batch then shares its input matrix and output buffer, so nothing is copied per call.
 * - Workers run kernel.ts's own functions (their source text, see kernel.ts), started with
 *   `eval: true`: the same code as the main thread, whether running from TS sources or dist/.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';
import type { TreeEnsemble } from './ensemble.js';
import {
  accumulateGeneral,
  accumulateNumeric,
  accumulateTrees,
  BLOCK,
  decideSpecial,
  linearLeafValue,
} from './kernel.js';

interface Shared {
  readonly id: number;
  readonly ensemble: TreeEnsemble;
  readonly sent: Set<Worker>;
}

interface Job {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
${[accumulateTrees, accumulateNumeric, accumulateGeneral, decideSpecial, linearLeafValue].join('\n')}
const ensembles = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'add') { ensembles.set(m.id, m.ensemble); return; }
  if (m.type === 'drop') { ensembles.delete(m.id); return; }
  try {
    const e = ensembles.get(m.id);
    accumulateTrees(e, new Float64Array(m.X), m.rowStart, m.rowEnd, m.treeStart, m.treeEnd, new Float64Array(m.out));
    parentPort.postMessage({ job: m.job });
  } catch (err) {
    parentPort.postMessage({ job: m.job, error: String(err && err.stack || err) });
  }
});
`;

type ArrayKey = { [K in keyof TreeEnsemble]: TreeEnsemble[K] extends ArrayBufferView ? K : never }[keyof TreeEnsemble];

/** Copies every array of the ensemble into shared memory (once per ensemble). */
function shareEnsemble(e: TreeEnsemble): TreeEnsemble {
  const copy: Record<string, unknown> = { ...e };
  for (const [key, value] of Object.entries(e) as [ArrayKey, ArrayBufferView][]) {
    if (!ArrayBuffer.isView(value)) continue;
    const Ctor = value.constructor as new (buffer: SharedArrayBuffer) => ArrayBufferView;
    const shared = new Ctor(new SharedArrayBuffer(value.byteLength));
    new Uint8Array(shared.buffer).set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    copy[key] = shared;
  }
  return copy as unknown as TreeEnsemble;
}

export class TreePool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private readonly shared = new WeakMap<TreeEnsemble, Shared>();
  private nextJob = 0;
  private nextEnsemble = 0;

  constructor(readonly size: number) {}

  /** Adds trees [treeStart, treeEnd) for every row of X into out; X and out must be shared. */
  async run(e: TreeEnsemble, X: Float64Array, rows: number, treeStart: number, treeEnd: number, out: Float64Array): Promise<void> {
    this.start();
    const entry = this.register(e);
    const parts = Math.min(this.workers.length, Math.ceil(rows / BLOCK));
    const chunk = Math.ceil(rows / parts / BLOCK) * BLOCK;
    const runs: Promise<void>[] = [];
    for (let p = 0; p < parts; p++) {
      const rowStart = p * chunk;
      const rowEnd = Math.min(rows, rowStart + chunk);
      if (rowStart >= rowEnd) break;
      const worker = this.workers[p]!;
      if (!entry.sent.has(worker)) {
        worker.postMessage({ type: 'add', id: entry.id, ensemble: entry.ensemble });
        entry.sent.add(worker);
      }
      const job = this.nextJob++;
      runs.push(
        new Promise<void>((resolve, reject) => {
          this.jobs.set(job, { resolve, reject });
          worker.postMessage({ type: 'run', job, id: entry.id, X: X.buffer, out: out.buffer, rowStart, rowEnd, treeStart, treeEnd });
        }),
      );
    }
    // Keep the pool from holding the process open only while it has work.
    for (const w of this.workers) w.ref();
    try {
      await Promise.all(runs);
    } finally {
      if (this.jobs.size === 0) for (const w of this.workers) w.unref();
    }
  }

  /** Forgets an ensemble in every worker (model unload). */
  release(e: TreeEnsemble): void {
    const entry = this.shared.get(e);
    if (entry === undefined) return;
    for (const w of entry.sent) w.postMessage({ type: 'drop', id: entry.id });
    this.shared.delete(e);
  }

  private register(e: TreeEnsemble): Shared {
    let entry = this.shared.get(e);
    if (entry === undefined) {
      entry = { id: this.nextEnsemble++, sent: new Set(), ensemble: shareEnsemble(e) };
      this.shared.set(e, entry);
    }
    return entry;
  }

  private start(): void {
    while (this.workers.length < this.size) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on('message', (m: { job: number; error?: string }) => {
        const job = this.jobs.get(m.job);
        if (job === undefined) return;
        this.jobs.delete(m.job);
        if (m.error === undefined) job.resolve();
        else job.reject(new Error(`tree worker failed: ${m.error}`));
      });
      worker.on('error', (err) => this.failAll(err));
      worker.unref();
      this.workers.push(worker);
    }
  }

  private failAll(err: Error): void {
    for (const job of this.jobs.values()) job.reject(err);
    this.jobs.clear();
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

let pool: TreePool | null = null;

/**
 * The process-wide pool, or null on a single-core machine (no parallelism to gain), in a
 * serving replica thread (serving already spreads requests over the cores), or when not
 * created yet.
 */
export function treePool(create = true): TreePool | null {
  const size = availableParallelism();
  if (size < 2 || !isMainThread) return null;
  if (create) pool ??= new TreePool(size);
  return pool;
}
