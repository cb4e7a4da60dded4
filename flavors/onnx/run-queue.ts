/**
 * Adaptive batching for onnxruntime: a session.run costs ~100 µs of fixed overhead, far
 * more than a small model's math. While one run is in flight, requests that arrive queue
 * up; when it finishes they run as ONE batch (concatenated along the batch dimension)
 * and the outputs are split back. An idle server adds no delay; a busy one amortises.
 * Only models whose every input and output has a dynamic first dimension are batched,
 * and a batch that fails is retried request by request so one bad request fails alone.
 */
import * as ort from 'onnxruntime-node';

type Feeds = Record<string, ort.Tensor>;
type Results = Record<string, ort.Tensor>;

interface Pending {
  feeds: Feeds;
  rows: number;
  resolve: (r: Results) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH_ROWS = 4096;

export function hasDynamicBatchDim(session: ort.InferenceSession): boolean {
  const dynamic = (m: ort.InferenceSession.ValueMetadata | undefined): boolean =>
    m !== undefined && m.isTensor && m.shape.length > 0 && (typeof m.shape[0] === 'string' || (m.shape[0] as number) < 0);
  return session.inputMetadata.every(dynamic) && session.outputMetadata.every(dynamic);
}

export class RunQueue {
  private running = false;
  private readonly queue: Pending[] = [];

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly batchable: boolean,
  ) {}

  run(feeds: Feeds): Promise<Results> {
    if (!this.batchable) return this.session.run(feeds);
    const rows = batchRows(feeds);
    if (rows === null) return this.session.run(feeds);
    return new Promise<Results>((resolve, reject) => {
      this.queue.push({ feeds, rows, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        if (batch.length === 1) {
          const p = batch[0]!;
          await this.session.run(p.feeds).then(p.resolve, p.reject);
        } else {
          await this.runBatch(batch);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The head of the queue and every later request with the same input layout, up to a row budget. */
  private takeBatch(): Pending[] {
    const head = this.queue.shift()!;
    const batch = [head];
    let rows = head.rows;
    const key = layoutKey(head.feeds);
    for (let i = 0; i < this.queue.length && rows < MAX_BATCH_ROWS; ) {
      const p = this.queue[i]!;
      if (layoutKey(p.feeds) === key && rows + p.rows <= MAX_BATCH_ROWS) {
        batch.push(p);
        rows += p.rows;
        this.queue.splice(i, 1);
      } else i++;
    }
    return batch;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const total = batch.reduce((n, p) => n + p.rows, 0);
    let results: Results;
    try {
      results = await this.session.run(concatFeeds(batch.map((p) => p.feeds), total));
    } catch {
      // Some request in the batch is bad: run each alone so only it fails.
      for (const p of batch) await this.session.run(p.feeds).then(p.resolve, p.reject);
      return;
    }
    const splittable = Object.values(results).every((t) => t.dims[0] === total && t.type !== 'string');
    if (!splittable) {
      for (const p of batch) await this.session.run(p.feeds).then(p.resolve, p.reject);
      return;
    }
    let offset = 0;
    for (const p of batch) {
      const out: Results = {};
      for (const [name, t] of Object.entries(results)) out[name] = sliceRows(t, offset, p.rows);
      offset += p.rows;
      p.resolve(out);
    }
  }
}

function batchRows(feeds: Feeds): number | null {
  let rows: number | null = null;
  for (const t of Object.values(feeds)) {
    if (t.dims.length === 0 || t.type === 'string') return null;
    if (rows === null) rows = t.dims[0]!;
    else if (rows !== t.dims[0]) return null;
  }
  return rows;
}

function layoutKey(feeds: Feeds): string {
  return Object.keys(feeds)
    .sort()
    .map((k) => `${k}:${feeds[k]!.type}:${feeds[k]!.dims.slice(1).join('x')}`)
    .join('|');
}

type NumericData = Exclude<ort.Tensor['data'], string[]>;

function concatFeeds(all: Feeds[], total: number): Feeds {
  const out: Feeds = {};
  for (const name of Object.keys(all[0]!)) {
    const first = all[0]![name]!;
    const Ctor = (first.data as NumericData).constructor as new (n: number) => NumericData;
    const per = first.size / first.dims[0]!;
    const data = new Ctor(total * per);
    let offset = 0;
    for (const feeds of all) {
      const src = feeds[name]!.data as NumericData;
      (data as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(src as ArrayLike<number | bigint>, offset);
      offset += src.length;
    }
    out[name] = new ort.Tensor(first.type as 'float32', data as Float32Array, [total, ...first.dims.slice(1)]);
  }
  return out;
}

function sliceRows(t: ort.Tensor, start: number, rows: number): ort.Tensor {
  const per = t.size / t.dims[0]!;
  const data = (t.data as NumericData).slice(start * per, (start + rows) * per) as Float32Array;
  return new ort.Tensor(t.type as 'float32', data, [rows, ...t.dims.slice(1)]);
}
