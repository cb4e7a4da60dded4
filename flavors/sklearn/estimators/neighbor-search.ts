/**
 * The k nearest training points of a query, found the way the fitted model finds them, so that
 * ties at the k-th distance keep the same points: a KDTree or BallTree is walked depth-first
 * from its pickled node arrays (closest child first, pruning on the node's lower bound), and
 * brute force scans the training rows as sklearn's ArgKmin does (see BruteScan). Both push into
 * sklearn's fixed-size max-heap (a point equal to the current k-th distance is not taken), then
 * sort by distance.
 */

export type MetricKind = 'euclidean' | 'manhattan' | 'chebyshev' | 'minkowski';

/** A metric on reduced distances (squared for euclidean, the p-th power for minkowski). */
export interface Metric {
  readonly kind: MetricKind;
  /** minkowski's p (2, 1 and Infinity for the others) */
  readonly p: number;
}

function powP(x: number, p: number): number {
  return p === 2 ? x * x : p === 1 ? x : Math.pow(x, p);
}

/** The reduced distance between x[xFrom..] and y[yFrom..] over d features, summed in order. */
function rdist(m: Metric, x: ArrayLike<number>, xFrom: number, y: ArrayLike<number>, yFrom: number, d: number): number {
  let r = 0;
  switch (m.kind) {
    case 'euclidean':
      for (let j = 0; j < d; j++) {
        const t = x[xFrom + j]! - y[yFrom + j]!;
        r += t * t;
      }
      return r;
    case 'manhattan':
      for (let j = 0; j < d; j++) r += Math.abs(x[xFrom + j]! - y[yFrom + j]!);
      return r;
    case 'chebyshev':
      for (let j = 0; j < d; j++) r = Math.max(r, Math.abs(x[xFrom + j]! - y[yFrom + j]!));
      return r;
    case 'minkowski':
      for (let j = 0; j < d; j++) r += Math.pow(Math.abs(x[xFrom + j]! - y[yFrom + j]!), m.p);
      return r;
  }
}

export function rdistToDist(m: Metric, r: number): number {
  if (m.kind === 'euclidean') return Math.sqrt(r);
  if (m.kind === 'minkowski') return Math.pow(r, 1 / m.p);
  return r;
}

function distToRdist(m: Metric, d: number): number {
  if (m.kind === 'euclidean') return d * d;
  if (m.kind === 'minkowski') return Math.pow(d, m.p);
  return d;
}

/** sklearn.utils._heap.heap_push on a max-heap of fixed size k (values[0] is the largest). */
function heapPush(values: Float64Array, indices: Int32Array, val: number, idx: number): void {
  const size = values.length;
  if (val >= values[0]!) return;
  let current = 0;
  for (;;) {
    const left = 2 * current + 1;
    const right = left + 1;
    let swap: number;
    if (left >= size) break;
    else if (right >= size) {
      if (values[left]! > val) swap = left;
      else break;
    } else if (values[left]! >= values[right]!) {
      if (val < values[left]!) swap = left;
      else break;
    } else {
      if (val < values[right]!) swap = right;
      else break;
    }
    values[current] = values[swap]!;
    indices[current] = indices[swap]!;
    current = swap;
  }
  values[current] = val;
  indices[current] = idx;
}

/** Ascending by distance; equal distances keep the heap's order (sklearn's insertion sort for k <= 15). */
function sortNeighbors(values: Float64Array, indices: Int32Array): void {
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    const ix = indices[i]!;
    let j = i;
    while (j > 0 && values[j - 1]! > v) {
      values[j] = values[j - 1]!;
      indices[j] = indices[j - 1]!;
      j--;
    }
    values[j] = v;
    indices[j] = ix;
  }
}

/** A KDTree's or BallTree's arrays, as pickled (BinaryTree.__getstate__). */
export interface TreeArrays {
  readonly kind: 'kd' | 'ball';
  readonly idxArray: Float64Array;
  readonly idxStart: Float64Array;
  readonly idxEnd: Float64Array;
  readonly isLeaf: Float64Array;
  readonly radius: Float64Array;
  /** kd: [2, nNodes, d] lower then upper bounds; ball: [1, nNodes, d] centroids */
  readonly nodeBounds: Float64Array;
  readonly nNodes: number;
}

export interface NeighborSearch {
  readonly metric: Metric;
  /** training rows, row-major [n, d] */
  readonly data: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly tree: TreeArrays | null;
  /** squared norms of the training rows, for brute-force euclidean */
  readonly norms: Float64Array | null;
}

export function neighborSearch(metric: Metric, data: Float64Array, n: number, d: number, tree: TreeArrays | null): NeighborSearch {
  let norms: Float64Array | null = null;
  if (tree === null && metric.kind === 'euclidean') {
    norms = new Float64Array(n);
    for (let i = 0; i < n; i++) norms[i] = squaredNorm(data, i * d, d);
  }
  return { metric, data, n, d, tree, norms };
}

/**
 * How sklearn's ArgKmin (scikit-learn >= 1.1) scans the training rows for a batch of queries.
 * Euclidean distances come from the GEMM form |x|² - 2x·y + |y|², clipped at 0, except in
 * ArgKminClassMode (exact sums). With few queries ('parallel_on_Y'), the rows are cut in chunks
 * of 256 dealt statically to the OpenMP threads; each thread keeps its own heap, and the
 * heaps are merged in thread order, which decides which of several equally distant rows stay.
 */
export interface BruteScan {
  readonly gemm: boolean;
  /** [from, to) training rows per thread; null: one pass in index order */
  readonly segments: readonly (readonly [number, number])[] | null;
}

export interface ScanRules {
  /** threads OpenMP would run (the serving machine's CPUs, as sklearn counts them) */
  readonly threads: number;
  /** scikit-learn >= 1.1: brute force runs on ArgKmin */
  readonly argKmin: boolean;
  /** scikit-learn >= 1.2: 'auto' also goes parallel_on_X when there are fewer training rows than queries */
  readonly fewerRowsRule: boolean;
}

const CHUNK = 256;

export function bruteScan(s: NeighborSearch, queries: number, rules: ScanRules, classMode: boolean): BruteScan {
  const gemm = s.metric.kind === 'euclidean' && rules.argKmin && !classMode;
  const onX = !rules.argKmin || classMode || (rules.fewerRowsRule && s.n < queries) || 4 * CHUNK * rules.threads < queries;
  if (onX) return { gemm, segments: null };
  const chunk = Math.min(s.n, CHUNK);
  const chunks = Math.ceil(s.n / chunk);
  const threads = Math.min(chunks, rules.threads);
  // OpenMP's static schedule: contiguous blocks, the first (chunks % threads) one chunk longer
  const q = Math.floor(chunks / threads);
  const r = chunks % threads;
  const segments: [number, number][] = [];
  for (let t = 0; t < threads; t++) {
    const first = t * q + Math.min(t, r);
    const count = q + (t < r ? 1 : 0);
    segments.push([first * chunk, Math.min((first + count) * chunk, s.n)]);
  }
  return { gemm, segments };
}

function squaredNorm(x: ArrayLike<number>, from: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[from + j]! * x[from + j]!;
  return s;
}

/** The lower bound of the reduced distance from pt to any point of a node. */
function minRdist(s: NeighborSearch, t: TreeArrays, node: number, pt: Float64Array): number {
  const d = s.d;
  const m = s.metric;
  if (t.kind === 'ball') {
    const dist = rdistToDist(m, rdist(m, pt, 0, t.nodeBounds, node * d, d));
    return distToRdist(m, Math.max(0, dist - t.radius[node]!));
  }
  const lo = node * d;
  const hi = (t.nNodes + node) * d;
  let r = 0;
  for (let j = 0; j < d; j++) {
    // x + |x| = 2 max(x, 0), as sklearn writes it
    const dLo = t.nodeBounds[lo + j]! - pt[j]!;
    const dHi = pt[j]! - t.nodeBounds[hi + j]!;
    const v = dLo + Math.abs(dLo) + (dHi + Math.abs(dHi));
    if (m.p === Infinity) r = Math.max(r, 0.5 * v);
    else r += powP(0.5 * v, m.p);
  }
  return r;
}

function queryNode(s: NeighborSearch, t: TreeArrays, node: number, pt: Float64Array, lowerBound: number, dist: Float64Array, ind: Int32Array): void {
  if (lowerBound > dist[0]!) return;
  if (t.isLeaf[node]! !== 0) {
    for (let i = t.idxStart[node]!; i < t.idxEnd[node]!; i++) {
      const idx = t.idxArray[i]!;
      heapPush(dist, ind, rdist(s.metric, pt, 0, s.data, idx * s.d, s.d), idx);
    }
    return;
  }
  const i1 = 2 * node + 1;
  const i2 = i1 + 1;
  const lb1 = minRdist(s, t, i1, pt);
  const lb2 = minRdist(s, t, i2, pt);
  if (lb1 <= lb2) {
    queryNode(s, t, i1, pt, lb1, dist, ind);
    queryNode(s, t, i2, pt, lb2, dist, ind);
  } else {
    queryNode(s, t, i2, pt, lb2, dist, ind);
    queryNode(s, t, i1, pt, lb1, dist, ind);
  }
}

function scanRows(s: NeighborSearch, pt: Float64Array, gemm: boolean, from: number, to: number, dist: Float64Array, ind: Int32Array): void {
  if (gemm) {
    const xn = squaredNorm(pt, 0, s.d);
    for (let i = from; i < to; i++) {
      let dot = 0;
      for (let j = 0; j < s.d; j++) dot += pt[j]! * s.data[i * s.d + j]!;
      heapPush(dist, ind, Math.max(0, xn + -2 * dot + s.norms![i]!), i);
    }
  } else {
    for (let i = from; i < to; i++) heapPush(dist, ind, rdist(s.metric, pt, 0, s.data, i * s.d, s.d), i);
  }
}

/**
 * The k nearest training rows of pt: indices into ind, distances (not reduced) into dist,
 * both sorted by distance. `scan` is how brute force goes through the rows (unused for trees).
 */
export function kneighbors(s: NeighborSearch, pt: Float64Array, scan: BruteScan, dist: Float64Array, ind: Int32Array): void {
  dist.fill(Infinity);
  ind.fill(0);
  if (s.tree !== null) {
    queryNode(s, s.tree, 0, pt, minRdist(s, s.tree, 0, pt), dist, ind);
  } else if (scan.segments === null) {
    scanRows(s, pt, scan.gemm, 0, s.n, dist, ind);
  } else {
    const k = dist.length;
    const threadDist = new Float64Array(k);
    const threadInd = new Int32Array(k);
    for (const [from, to] of scan.segments) {
      threadDist.fill(Infinity);
      threadInd.fill(0);
      scanRows(s, pt, scan.gemm, from, to, threadDist, threadInd);
      for (let j = 0; j < k; j++) heapPush(dist, ind, threadDist[j]!, threadInd[j]!);
    }
  }
  sortNeighbors(dist, ind);
  for (let j = 0; j < dist.length; j++) dist[j] = rdistToDist(s.metric, Math.max(dist[j]!, 0));
}
