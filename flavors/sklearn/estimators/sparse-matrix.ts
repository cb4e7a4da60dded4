/**
 * scipy.sparse CSR/CSC matrices inside a fitted estimator (an SVC fitted on sparse input keeps
 * its support vectors and dual coefficients so), read as dense row-major numbers.
 */
import { Attributes, NDArray, PyObject, asNumbers, asSequence, type PyValue } from '../../../src/pickle/index.js';

const FORMATS = ['csr', 'csc'] as const;
type Format = (typeof FORMATS)[number];

/** Every module path scipy pickled these classes from (scipy.sparse.csr before 1.8, scipy.sparse._csr since). */
export const SPARSE_CLASSES: readonly string[] = FORMATS.flatMap((f) =>
  [`scipy.sparse.${f}`, `scipy.sparse._${f}`].flatMap((m) => [`${m}.${f}_matrix`, `${m}.${f}_array`]),
);

function formatOf(obj: PyObject): Format | null {
  if (!SPARSE_CLASSES.includes(obj.className)) return null;
  return obj.name.startsWith('csr') ? 'csr' : 'csc';
}

/** A 2-D matrix, dense or sparse, as [rows, cols] and row-major values. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

export function isSparseMatrix(v: PyValue | undefined): boolean {
  return v instanceof PyObject && formatOf(v) !== null;
}

/** A fitted attribute holding a 2-D ndarray or a CSR/CSC matrix. */
export function denseMatrix(v: PyValue | undefined, what: string): DenseMatrix {
  if (v instanceof NDArray) {
    if (v.ndim !== 2) throw new TypeError(`${what} has ${v.ndim} dimensions, expected 2`);
    return { rows: v.shape[0]!, cols: v.shape[1]!, values: v.numbers() };
  }
  const format = v instanceof PyObject ? formatOf(v) : null;
  if (format === null) throw new TypeError(`${what}: expected a 2-D array or a CSR/CSC matrix`);
  const a = new Attributes(v as PyObject);
  const shape = asSequence(a.raw('_shape') ?? a.required('shape'), `${what}.shape`).map(Number);
  const [rows, cols] = shape as [number, number];
  const data = a.numbers('data');
  const indices = asNumbers(a.required('indices'), `${what}.indices`);
  const indptr = asNumbers(a.required('indptr'), `${what}.indptr`);
  const outer = format === 'csr' ? rows : cols;
  if (indptr.length !== outer + 1 || indices.length !== data.length) throw new TypeError(`${what} is not a valid ${format} matrix`);
  const values = new Float64Array(rows * cols);
  for (let o = 0; o < outer; o++) {
    for (let p = indptr[o]!; p < indptr[o + 1]!; p++) {
      const inner = indices[p]!;
      // duplicates add up, as scipy's toarray() does
      if (format === 'csr') values[o * cols + inner]! += data[p]!;
      else values[inner * cols + o]! += data[p]!;
    }
  }
  return { rows, cols, values };
}
