/**
 * CountVectorizer, TfidfVectorizer and TfidfTransformer (sklearn.feature_extraction.text).
 * A document goes through sklearn's analyzer exactly: lowercase (str.lower), strip_accents
 * ('ascii': NFKD then ASCII only; 'unicode': NFKD without combining marks), then for words the
 * token_pattern (Python's `re` semantics, see python-regex.ts), stop words, word n-grams joined
 * by a space; for 'char'/'char_wb' runs of whitespace become one space and code-point n-grams are
 * taken (per space-padded word for char_wb). Counts of the fitted vocabulary_ only; tf-idf then
 * applies sublinear_tf (1 + log), the idf and the row norm (l2 or l1), in sklearn's order.
 * Documents come one per row of a single column, as a ColumnTransformer selecting one column
 * by name passes them; a DataFrame or 2-D array given to the vectorizer itself is refused (sklearn
 * would read the column names or the rows' arrays as the documents).
 */
import type { DType, Values } from '../../../src/model/data.js';
import { Attributes, PyObject, asInt, asNumbers, asSequence, isNone } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { PY_SPACE, UnsupportedPattern, findAll, pythonRegex } from '../python-regex.js';
import type { Table } from '../table.js';
import { isCombining } from '../unicode-combining.js';
import type { ItemsTransformer } from './dict-vectorizer.js';
import { outputDType } from './output-dtype.js';
import { SPARSE_CLASSES } from './sparse-matrix.js';

const WHITE_SPACES = new RegExp(`[${PY_SPACE}][${PY_SPACE}]+`, 'gu');
const SPLIT = new RegExp(`[${PY_SPACE}]+`, 'u');
const ASCII = /^[\x00-\x7f]*$/;

function stripAccentsAscii(s: string): string {
  return s.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
}

function stripAccentsUnicode(s: string): string {
  if (ASCII.test(s)) return s;
  let out = '';
  for (const c of s.normalize('NFKD')) if (!isCombining(c.codePointAt(0)!)) out += c;
  return out;
}

type Analyzer = (doc: string) => string[];

function wordNgrams(tokens: string[], minN: number, maxN: number, stop: ReadonlySet<string> | null): string[] {
  if (stop !== null) tokens = tokens.filter((t) => !stop.has(t));
  if (maxN === 1) return tokens;
  const original = tokens;
  let out: string[];
  if (minN === 1) {
    out = [...original];
    minN += 1;
  } else out = [];
  const n0 = original.length;
  for (let n = minN; n <= Math.min(maxN, n0); n++) {
    for (let i = 0; i + n <= n0; i++) out.push(original.slice(i, i + n).join(' '));
  }
  return out;
}

function charNgrams(doc: string, minN: number, maxN: number): string[] {
  const chars = Array.from(doc.replace(WHITE_SPACES, ' '));
  const len = chars.length;
  let out: string[];
  if (minN === 1) {
    out = [...chars];
    minN += 1;
  } else out = [];
  for (let n = minN; n <= Math.min(maxN, len); n++) {
    for (let i = 0; i + n <= len; i++) out.push(chars.slice(i, i + n).join(''));
  }
  return out;
}

function charWbNgrams(doc: string, minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (const word of doc.replace(WHITE_SPACES, ' ').split(SPLIT)) {
    if (word === '') continue;
    const w = Array.from(` ${word} `);
    for (let n = minN; n <= maxN; n++) {
      let offset = 0;
      out.push(w.slice(offset, offset + n).join(''));
      while (offset + n < w.length) {
        offset += 1;
        out.push(w.slice(offset, offset + n).join(''));
      }
      if (offset === 0) break;
    }
  }
  return out;
}

/** What build_analyzer builds, from the vectorizer's parameters. */
function analyzerOf(a: Attributes): Analyzer {
  const name = a.obj.name;
  const input = String(a.raw('input') ?? 'content');
  if (input !== 'content') throw new TypeError(`${name} with input='${input}' is not supported (only 'content': the documents themselves)`);
  const analyzer = a.raw('analyzer');
  if (analyzer !== 'word' && analyzer !== 'char' && analyzer !== 'char_wb') throw new TypeError(`${name} with analyzer=${String(analyzer)} is not supported`);
  for (const p of ['preprocessor', 'tokenizer']) {
    if (!isNone(a.raw(p))) throw new TypeError(`${name} with a custom ${p} is not supported`);
  }
  const strip = a.raw('strip_accents');
  if (!isNone(strip) && strip !== 'ascii' && strip !== 'unicode') throw new TypeError(`${name} with strip_accents=${String(strip)} is not supported`);
  const accents = strip === 'ascii' ? stripAccentsAscii : strip === 'unicode' ? stripAccentsUnicode : null;
  const lower = a.raw('lowercase') !== false;
  const [minN, maxN] = asSequence(a.required('ngram_range'), `${name}.ngram_range`).map((v) => asInt(v, `${name}.ngram_range`)) as [number, number];
  const preprocess = (doc: string): string => {
    if (lower) doc = doc.toLowerCase();
    return accents === null ? doc : accents(doc);
  };
  if (analyzer === 'char') return (doc) => charNgrams(preprocess(doc), minN, maxN);
  if (analyzer === 'char_wb') return (doc) => charWbNgrams(preprocess(doc), minN, maxN);

  const stopWords = a.raw('stop_words');
  let stop: Set<string> | null = null;
  if (stopWords === 'english') {
    // The fitted vocabulary already excludes them: for single words, skipping them changes nothing.
    if (maxN > 1) {
      throw new TypeError(`${name} with stop_words='english' and word n-grams longer than 1 is not supported (flowgate does not carry scikit-learn's English stop list); pass the list itself as stop_words`);
    }
  } else if (typeof stopWords === 'string') {
    throw new TypeError(`${name} with stop_words='${stopWords}' is not supported`);
  } else if (!isNone(stopWords)) {
    const items = stopWords instanceof PyObject ? [...stopWords.listItems] : asSequence(stopWords, `${name}.stop_words`);
    stop = new Set(items.map(String));
  }
  let pattern;
  const source = a.string('token_pattern');
  try {
    pattern = pythonRegex(source);
  } catch (err) {
    if (err instanceof UnsupportedPattern) throw new TypeError(`${name} with token_pattern ${JSON.stringify(source)} is not supported (${err.message})`);
    throw err;
  }
  if (pattern.groups > 1) throw new TypeError(`${name}: more than 1 capturing group in token pattern`);
  return (doc) => wordNgrams(findAll(pattern, preprocess(doc)), minN, maxN, stop);
}

/** One document as sklearn's decode() leaves it; anything but a string fails as the analyzer would. */
function documentOf(v: unknown, name: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isNaN(v)) throw new Error('np.nan is an invalid document, expected byte or unicode string.');
  throw new Error(`${name} expects a str per document, got ${v === null || v === undefined ? 'None' : Array.isArray(v) ? 'list' : typeof v}`);
}

interface Counter {
  readonly width: number;
  /** counts per document, one Float64Array per vocabulary column */
  count(values: Values, rows: number): Float64Array[];
}

function counterOf(obj: PyObject): Counter {
  const a = new Attributes(obj);
  const analyze = analyzerOf(a);
  const vocabulary = new Map<string, number>();
  for (const [k, v] of a.dict('vocabulary_').entries()) vocabulary.set(String(k), asInt(v, `${obj.name}.vocabulary_`));
  const width = vocabulary.size;
  const binary = a.raw('binary') === true;
  return {
    width,
    count(values, rows) {
      const columns = Array.from({ length: width }, () => new Float64Array(rows));
      for (let i = 0; i < rows; i++) {
        for (const feature of analyze(documentOf(values[i], obj.name))) {
          const j = vocabulary.get(feature);
          if (j !== undefined) columns[j]![i] = binary ? 1 : columns[j]![i]! + 1;
        }
      }
      return columns;
    },
  };
}

/**
 * The 1-D documents only: a table given to a vectorizer is what sklearn would misread. The
 * request's fault, so a plain Error named as Python's (a JS TypeError would be our own bug: a 500).
 */
function refuseTable(name: string, X: Table): never {
  const err = new Error(
    `${name} takes one column of documents, not a ${X.names === null ? '2-D array' : 'DataFrame'} (scikit-learn would read ${X.names === null ? "each row's array" : 'the column names'} as the documents): select the text column with a single name in a ColumnTransformer`,
  );
  err.name = 'TypeError';
  throw err;
}

interface Tfidf {
  apply(columns: Float64Array[], rows: number, round: (v: number) => number): Float64Array[];
}

/** TfidfTransformer's state: idf_ (1.x), or the diagonal of _idf_diag (older pickles). */
function idfOf(a: Attributes, width: number): Float64Array | null {
  if (a.raw('use_idf') === false) return null;
  const idf = a.raw('idf_');
  if (!isNone(idf)) return asNumbers(idf, `${a.obj.name}.idf_`);
  const diag = a.raw('_idf_diag');
  if (!(diag instanceof PyObject)) throw new TypeError(`${a.obj.name} has no idf_`);
  const d = new Attributes(diag);
  const data = d.numbers('data');
  const indices = asNumbers(d.required('indices'), `${a.obj.name}._idf_diag.indices`);
  const indptr = asNumbers(d.required('indptr'), `${a.obj.name}._idf_diag.indptr`);
  // a diagonal matrix, CSR or CSC alike: the entry at (o, o) of each row/column o
  const out = new Float64Array(width);
  for (let o = 0; o + 1 < indptr.length && o < width; o++) {
    for (let p = indptr[o]!; p < indptr[o + 1]!; p++) if (indices[p] === o) out[o]! += data[p]!;
  }
  return out;
}

function tfidfOf(obj: PyObject, width: number): Tfidf {
  const a = new Attributes(obj);
  const idf = idfOf(a, width);
  if (idf !== null && idf.length !== width) throw new TypeError(`${obj.name}.idf_ has ${idf.length} values for ${width} features`);
  const sublinear = a.raw('sublinear_tf') === true;
  const norm = a.raw('norm');
  if (!isNone(norm) && norm !== 'l1' && norm !== 'l2') throw new TypeError(`${obj.name} with norm=${String(norm)} is not supported`);
  return {
    apply(columns, rows, round) {
      // only the stored (non-zero) entries change, as on sklearn's CSR matrix
      const out = columns.map((c, j) =>
        c.map((v) => {
          if (v === 0) return 0;
          if (sublinear) v = round(round(Math.log(v)) + 1);
          return idf === null ? v : round(v * idf[j]!);
        }),
      );
      if (!isNone(norm)) {
        for (let i = 0; i < rows; i++) {
          let sum = 0;
          for (const c of out) {
            const v = c[i]!;
            if (v !== 0) sum += norm === 'l2' ? v * v : Math.abs(v);
          }
          if (sum === 0) continue;
          const by = norm === 'l2' ? Math.sqrt(sum) : sum;
          for (const c of out) if (c[i] !== 0) c[i] = round(c[i]! / by);
        }
      }
      return out;
    },
  };
}

function buildVectorizer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const counter = counterOf(obj);
  const tfidf = obj.name === 'TfidfVectorizer' ? tfidfOf(new Attributes(obj).object('_tfidf'), counter.width) : null;
  const dtype: DType = outputDType(a.raw('dtype'), obj.name);
  const round = dtype === 'float32' ? Math.fround : (v: number): number => v;
  const estimator: ItemsTransformer = {
    name: obj.name,
    transformItems(values: Values, rows: number): Table {
      let columns = counter.count(values, rows);
      if (tfidf !== null) columns = tfidf.apply(columns, rows, round);
      return { rows, names: null, columns: columns.map((c) => ({ dtype, values: c })) };
    },
    transform: (X: Table) => refuseTable(obj.name, X),
  };
  return estimator;
}

function buildTfidfTransformer(obj: PyObject): Estimator {
  const check = featureCheckOf(obj);
  const width = check.nFeatures ?? asNumbers(new Attributes(obj).required('idf_'), 'TfidfTransformer.idf_').length;
  const tfidf = tfidfOf(obj, width);
  return {
    name: obj.name,
    transform(X) {
      const float32 = X.columns.every((c) => c.dtype === 'float32');
      const round = float32 ? Math.fround : (v: number): number => v;
      const columns = tfidf.apply(numericFeatures(X, { ...check, nFeatures: width }), X.rows, round);
      return { rows: X.rows, names: null, columns: columns.map((c) => ({ dtype: float32 ? 'float32' : 'float64', values: c })) };
    },
  };
}

const MODULES = ['sklearn.feature_extraction.text'];

export const textVectorizers: EstimatorFamily = {
  classes: [...MODULES.flatMap((m) => ['CountVectorizer', 'TfidfVectorizer', 'TfidfTransformer'].map((n) => `${m}.${n}`))],
  // a 1.x TfidfVectorizer keeps its TfidfTransformer, whose idf may be a sparse diagonal matrix
  parts: SPARSE_CLASSES,
  build: (obj: PyObject) => (obj.name === 'TfidfTransformer' ? buildTfidfTransformer(obj) : buildVectorizer(obj)),
};
