/**
 * Evaluates an ensemble over a batch: inline for small batches (lowest latency), on the
 * worker pool for large ones. Callers ask `worthParallel` and then `matrixAllocator` for the
 * input matrix first, so a large batch is built straight into shared memory.
 */
import type { TreeEnsemble } from './ensemble.js';
import { accumulateTrees, BLOCK } from './kernel.js';
import { treePool } from './pool.js';

/**
 * Below about this many node visits (a few milliseconds of work) handing the batch to worker
 * threads costs more in messaging than it saves.
 */
const PARALLEL_MIN_VISITS = 2_000_000;

export function worthParallel(e: TreeEnsemble, rows: number): boolean {
  if (rows < 2 * BLOCK) return false;
  let depthSum = 0;
  for (let t = 0; t < e.treeDepth.length; t++) depthSum += e.treeDepth[t]!;
  return rows * depthSum >= PARALLEL_MIN_VISITS && treePool() !== null;
}

export function matrixAllocator(parallel: boolean): (length: number) => Float64Array {
  return parallel ? (n) => new Float64Array(new SharedArrayBuffer(n * 8)) : (n) => new Float64Array(n);
}

/**
 * Margins [rows × numOutputs]: `base` per output plus trees [treeStart, treeEnd).
 * `parallel` must match how X was allocated (shared memory when true).
 */
export async function evaluateMargins(
  e: TreeEnsemble,
  X: Float64Array,
  rows: number,
  treeStart: number,
  treeEnd: number,
  base: Float64Array,
  parallel: boolean,
): Promise<Float64Array> {
  const no = e.numOutputs;
  const out = matrixAllocator(parallel)(rows * no);
  for (let r = 0; r < rows; r++) for (let g = 0; g < no; g++) out[r * no + g] = base[g]!;
  const pool = parallel ? treePool() : null;
  if (pool !== null) await pool.run(e, X, rows, treeStart, treeEnd, out);
  else accumulateTrees(e, X, 0, rows, treeStart, treeEnd, out);
  return out;
}

export function releaseEnsemble(e: TreeEnsemble): void {
  treePool(false)?.release(e);
}
