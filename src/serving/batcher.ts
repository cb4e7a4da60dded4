/**
 * Adaptive batching, one batcher per loaded version of a flavor that opts in (its model is
 * `batchable`: row-wise). A model call has a fixed cost (onnxruntime's session.run, a
 * thread hop) that dwarfs a small request's math; while one call runs, the requests that
 * arrive wait, and when it ends they run as ONE call: their inputs concatenated along rows,
 * the output split back per request. An idle model adds no delay (a lone request runs at
 * once); `maxBatchDelayMs` only lets requests that already wait behind a running batch
 * wait a little longer for it to fill.
 *
 * Only requests that can share a call are batched: the same params, frames with the same
 * columns and dtypes, tensors with the same dtype and non-batch shape. A batch that fails,
 * or whose output cannot be split exactly (its rows are not a whole multiple of the input's),
 * is retried one request at a time, so a faulty request fails alone with its own error.
 * A request whose deadline passes while it waits is dropped before its batch runs (it fails
 * with a Timeout, which the scorer answers 504): the model never computes an answer nobody
 * waits for, and it takes no place in a batch.
 */
import type { Column, Frame, ModelInput, ModelOutput, Params, Tensor, Values } from '../model/data.js';
import type { BatchSettings } from '../model/flavor.js';
import { Timeout } from './deadline.js';

/** What the batcher reports: each batch's size and each request's wait before its batch started. */
export interface BatchObserver {
  batch(requests: number): void;
  queued(seconds: number): void;
  /** a request dropped unrun: its deadline passed while it waited */
  expired(): void;
}

type Predict = (input: ModelInput, params: Params) => Promise<ModelOutput>;

interface Pending {
  input: ModelInput;
  params: Params;
  rows: number;
  /** what must match for requests to share a call */
  key: string;
  enqueued: number;
  /** performance.now() past which nobody waits for its answer */
  deadline: number;
  resolve: (out: ModelOutput) => void;
  reject: (err: unknown) => void;
}

export class Batcher {
  private running = false;
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** batched calls that failed and were retried one request at a time (tests read it) */
  retried = 0;
  /** requests dropped unrun because their deadline passed while they waited (tests read it) */
  expired = 0;

  constructor(
    private readonly predictOne: Predict,
    private readonly settings: BatchSettings,
    private readonly observer: BatchObserver | null = null,
  ) {}

  /** `deadline`: the performance.now() past which the request is dropped if it has not started. */
  predict(input: ModelInput, params: Params, deadline = Infinity): Promise<ModelOutput> {
    const layout = layoutOf(input);
    if (layout === null) return this.predictOne(input, params);
    return new Promise<ModelOutput>((resolve, reject) => {
      this.queue.push({ input, params, rows: layout.rows, key: `${stableJson(params)}\u0000${layout.key}`, enqueued: performance.now(), deadline, resolve, reject });
      if (this.running) return; // gathered for the next batch
      if (this.timer === null && this.queue.length === 1) void this.runNext(); // an idle model: at once
      else this.schedule();
    });
  }

  /** After a batch: the next one starts once it is full or its oldest request has waited `maxBatchDelayMs`. */
  private schedule(): void {
    if (this.running) return;
    this.dropExpired();
    if (this.queue.length === 0) return;
    const head = this.queue[0]!;
    const wait = head.enqueued + this.settings.maxBatchDelayMs - performance.now();
    if (wait > 0 && this.compatible(head.key) < this.settings.maxBatchSize) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
      return;
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    void this.runNext();
  }

  private compatible(key: string): number {
    let n = 0;
    for (const p of this.queue) if (p.key === key) n++;
    return n;
  }

  /** Fails the queued requests whose deadline has passed, so that they never reach the model. */
  private dropExpired(): void {
    const now = performance.now();
    let kept = 0;
    for (const p of this.queue) {
      if (p.deadline > now) {
        this.queue[kept++] = p;
        continue;
      }
      this.expire(p);
    }
    this.queue.length = kept;
  }

  private expire(p: Pending): void {
    this.expired++;
    this.observer?.expired();
    p.reject(new Timeout());
  }

  private async runNext(): Promise<void> {
    this.dropExpired();
    if (this.queue.length === 0) return;
    this.running = true;
    const batch = this.take();
    const started = performance.now();
    for (const p of batch) this.observer?.queued((started - p.enqueued) / 1000);
    this.observer?.batch(batch.length);
    try {
      if (batch.length === 1) await this.runAlone(batch[0]!);
      else await this.runBatch(batch);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** The oldest request and every later one that can share its call, up to maxBatchSize. */
  private take(): Pending[] {
    const head = this.queue.shift()!;
    const batch = [head];
    for (let i = 0; i < this.queue.length && batch.length < this.settings.maxBatchSize; ) {
      if (this.queue[i]!.key === head.key) batch.push(...this.queue.splice(i, 1));
      else i++;
    }
    return batch;
  }

  private runAlone(p: Pending): Promise<void> {
    return this.predictOne(p.input, p.params).then(p.resolve, p.reject);
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const total = batch.reduce((n, p) => n + p.rows, 0);
    let parts: ModelOutput[] | null;
    try {
      const output = await this.predictOne(concatInputs(batch.map((p) => p.input), total), batch[0]!.params);
      parts = splitOutput(output, batch.map((p) => p.rows), total);
    } catch {
      parts = null;
    }
    if (parts === null) {
      // Some request in it is at fault (or the output has no per-row shape): each alone, so only it fails.
      this.retried++;
      for (const p of batch) {
        if (p.deadline > performance.now()) await this.runAlone(p);
        else this.expire(p);
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(parts[i]!));
  }
}

// ---- layouts: what requests must share to run in one call ---------------------------

function storage(values: Values): string {
  return values instanceof Float64Array ? 'f64' : 'any';
}

function tensorKey(t: Tensor): string {
  return `${t.dtype}:${storage(t.values)}:${t.shape.slice(1).join('x')}`;
}

/** The request's rows and its layout key, or null when it has no batch dimension to concatenate along. */
function layoutOf(input: ModelInput): { rows: number; key: string } | null {
  switch (input.kind) {
    case 'frame':
      if (input.columns.length === 0 || input.rows === 0) return null;
      return { rows: input.rows, key: `frame|${input.names.map((n, i) => `${JSON.stringify(n)}:${input.columns[i]!.dtype}:${storage(input.columns[i]!.values)}`).join('|')}` };
    case 'tensor':
      if (input.tensor.shape.length === 0 || input.tensor.shape[0] === 0) return null;
      return { rows: input.tensor.shape[0]!, key: `tensor|${tensorKey(input.tensor)}` };
    case 'tensors': {
      const names = Object.keys(input.tensors).sort();
      if (names.length === 0) return null;
      const rows = input.tensors[names[0]!]!.shape[0];
      if (rows === undefined || rows === 0) return null;
      for (const n of names) if (input.tensors[n]!.shape[0] !== rows) return null;
      return { rows, key: `tensors|${names.map((n) => `${JSON.stringify(n)}:${tensorKey(input.tensors[n]!)}`).join('|')}` };
    }
  }
}

/** JSON with sorted keys: params that are equal give equal text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

// ---- concatenation and split --------------------------------------------------------

function concatValues(parts: Values[], length: number): Values {
  if (parts[0] instanceof Float64Array) {
    const out = new Float64Array(length);
    let offset = 0;
    for (const p of parts) {
      out.set(p as Float64Array, offset);
      offset += p.length;
    }
    return out;
  }
  const out: unknown[] = new Array(length);
  let offset = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[offset++] = p[i];
  return out;
}

function concatTensors(parts: Tensor[], total: number): Tensor {
  const first = parts[0]!;
  const per = first.shape.slice(1).reduce((a, b) => a * b, 1);
  return { dtype: first.dtype, shape: [total, ...first.shape.slice(1)], values: concatValues(parts.map((t) => t.values), total * per) };
}

function concatInputs(inputs: ModelInput[], total: number): ModelInput {
  const first = inputs[0]!;
  switch (first.kind) {
    case 'frame': {
      const frames = inputs as Frame[];
      const columns: Column[] = first.columns.map((c, j) => ({ dtype: c.dtype, values: concatValues(frames.map((f) => f.columns[j]!.values), total) }));
      return { kind: 'frame', names: first.names, columns, rows: total };
    }
    case 'tensor':
      return { kind: 'tensor', tensor: concatTensors(inputs.map((i) => (i as typeof first).tensor), total) };
    case 'tensors': {
      const tensors: Record<string, Tensor> = {};
      for (const name of Object.keys(first.tensors)) tensors[name] = concatTensors(inputs.map((i) => (i as typeof first).tensors[name]!), total);
      return { kind: 'tensors', tensors };
    }
  }
}

function sliceValues(values: Values, start: number, end: number): Values {
  return values.slice(start, end);
}

/**
 * Row i of the batch yields output rows [i·k, (i+1)·k) for a whole k (k = 1 for most models;
 * a flattened (N, k) output gives k): each request gets its own contiguous block. Null when
 * an output's rows are not such a multiple (a JSON value, an aggregate): not splittable.
 */
function splitOutput(output: ModelOutput, rows: number[], total: number): ModelOutput[] | null {
  const factor = (n: number | undefined): number | null => (n !== undefined && n > 0 && n % total === 0 ? n / total : null);
  const blocks = (k: number): [number, number][] => {
    let offset = 0;
    return rows.map((r) => [offset * k, (offset += r) * k]);
  };
  const splitTensor = (t: Tensor): Tensor[] | null => {
    const k = factor(t.shape[0]);
    if (k === null) return null;
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    return blocks(k).map(([s, e]) => ({ dtype: t.dtype, shape: [e - s, ...t.shape.slice(1)], values: sliceValues(t.values, s * per, e * per) }));
  };
  switch (output.kind) {
    case 'frame': {
      const k = factor(output.rows);
      if (k === null) return null;
      return blocks(k).map(([s, e]) => ({ kind: 'frame', names: output.names, rows: e - s, columns: output.columns.map((c) => ({ dtype: c.dtype, values: sliceValues(c.values, s, e) })) }));
    }
    case 'series': {
      const k = factor(output.column.values.length);
      if (k === null) return null;
      return blocks(k).map(([s, e]) => ({ kind: 'series', name: output.name, column: { dtype: output.column.dtype, values: sliceValues(output.column.values, s, e) } }));
    }
    case 'tensor': {
      const parts = splitTensor(output.tensor);
      return parts === null ? null : parts.map((tensor) => ({ kind: 'tensor', tensor }));
    }
    case 'tensors': {
      const names = Object.keys(output.tensors);
      const split: Record<string, Tensor[]> = {};
      for (const n of names) {
        const parts = splitTensor(output.tensors[n]!);
        if (parts === null) return null;
        split[n] = parts;
      }
      return rows.map((_, i) => ({ kind: 'tensors', tensors: Object.fromEntries(names.map((n) => [n, split[n]![i]!])) }));
    }
    case 'json':
      return null;
  }
}
