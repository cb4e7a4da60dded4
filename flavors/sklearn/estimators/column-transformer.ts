/**
 * ColumnTransformer (sklearn.compose): each fitted transformer gets its columns — named
 * columns, integer indices, a boolean mask or a slice, the remainder as fitted — and the
 * outputs are stacked side by side. Fitted on a DataFrame and given one, columns are picked by
 * name (extra or reordered columns are fine, a missing one fails); otherwise by position, after
 * the feature count is checked. A single column name or index hands the transformer a 1-D
 * column (DictVectorizer). Dense output takes numpy's common dtype; `sparse_output_` makes
 * every block numeric first (the matrix is kept dense: consumers compute the same numbers).
 */
import type { Column, DType } from '../../../src/model/data.js';
import { Attributes, PyDict, PyObject, asNumber, asSequence, isNone, type PyValue } from '../../../src/pickle/index.js';
import type { BuildContext, Estimator, EstimatorFamily } from '../estimator.js';
import { isNumericColumn, numericColumn, type Table } from '../table.js';
import { takesItems } from './dict-vectorizer.js';
import { isPandasOutput } from './pandas-output.js';
import { arrayDType } from './table-values.js';

/** The columns one transformer reads: positions in the fitted input, and whether the spec was a single key (1-D). */
interface Selection {
  readonly indices: number[];
  readonly scalar: boolean;
  /** the spec named columns (only a DataFrame can be indexed so) */
  readonly byName: boolean;
}

interface Part {
  readonly name: string;
  /** null: 'passthrough' */
  readonly transformer: Estimator | null;
  readonly selection: Selection;
  readonly weight: number | null;
}

function isInt(v: PyValue): boolean {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

/** sklearn's _get_column_indices for one fitted column spec. */
function selectionOf(spec: PyValue, fitNames: readonly string[] | null, nFeatures: number, what: string): Selection {
  const position = (v: PyValue): number => {
    const n = asNumber(v, what);
    const i = n < 0 ? nFeatures + n : n;
    if (!Number.isInteger(i) || i < 0 || i >= nFeatures) throw new TypeError(`${what}: column index ${n} is out of range`);
    return i;
  };
  const named = (v: string): number => {
    const i = fitNames?.indexOf(v) ?? -1;
    if (i < 0) throw new TypeError(`${what}: column '${v}' is not among the fitted columns`);
    return i;
  };
  if (typeof spec === 'string') return { indices: [named(spec)], scalar: true, byName: true };
  if (isInt(spec)) return { indices: [position(spec)], scalar: true, byName: false };
  if (spec instanceof PyObject && spec.className === 'builtins.slice') {
    const [start, stop, step] = [spec.args[0] ?? null, spec.args[1] ?? null, spec.args[2] ?? null];
    if (!isNone(step) && asNumber(step, what) !== 1) throw new TypeError(`${what}: a slice with a step is not supported`);
    if (typeof start === 'string' || typeof stop === 'string') {
      // label slices include their end, as pandas' .loc does
      const from = isNone(start) ? 0 : named(start as string);
      const to = isNone(stop) ? nFeatures - 1 : named(stop as string);
      return { indices: range(from, to + 1), scalar: false, byName: true };
    }
    // Python's slice bounds: negative counts from the end, out of range clamps
    const bound = (v: PyValue, otherwise: number): number => {
      if (isNone(v)) return otherwise;
      const n = asNumber(v, what);
      return Math.min(nFeatures, Math.max(0, n < 0 ? nFeatures + n : n));
    };
    return { indices: range(bound(start, 0), bound(stop, nFeatures)), scalar: false, byName: false };
  }
  // a list, tuple, array, or the list subclass sklearn 1.5-1.7 kept remainder columns in
  const items = spec instanceof PyObject ? spec.listItems : asSequence(spec, what);
  if (items.length === 0) return { indices: [], scalar: false, byName: false };
  if (items.every((v) => typeof v === 'boolean')) {
    if (items.length !== nFeatures) throw new TypeError(`${what}: a boolean mask of ${items.length} for ${nFeatures} columns`);
    return { indices: items.flatMap((v, i) => (v === true ? [i] : [])), scalar: false, byName: false };
  }
  if (items.every((v) => typeof v === 'string')) return { indices: items.map((v) => named(v as string)), scalar: false, byName: true };
  return { indices: items.map(position), scalar: false, byName: false };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** How output feature names are prefixed in pandas output: `name__feature`, as is, or a format string (1.6+). */
function prefixer(v: PyValue | undefined): (transformer: string, feature: string) => string {
  if (v === false) return (_t, f) => f;
  if (typeof v === 'string') {
    if (/\{(?!transformer_name\}|feature_name\})/.test(v.replace(/\{\{|\}\}/g, ''))) throw new TypeError(`ColumnTransformer verbose_feature_names_out='${v}' is not supported`);
    return (t, f) => v.replace(/\{\{|\}\}|\{transformer_name\}|\{feature_name\}/g, (m) => (m === '{{' ? '{' : m === '}}' ? '}' : m === '{transformer_name}' ? t : f));
  }
  return (t, f) => `${t}__${f}`;
}

/** The transformer a fitted entry holds: 'passthrough' (null), or a built estimator. */
function transformerOf(trans: PyValue, ctx: BuildContext, what: string): Estimator | null {
  if (trans === 'passthrough') return null;
  const built = ctx.build(trans, what);
  if (built.transform === undefined && !takesItems(built)) throw new TypeError(`${what} (${built.name}) has no transform`);
  return built;
}

function buildColumnTransformer(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const fitNames = isNone(a.raw('feature_names_in_')) ? null : a.sequence('feature_names_in_').map(String);
  const nFeatures = a.has('n_features_in_') ? a.int('n_features_in_') : (fitNames?.length ?? 0);
  const weights = a.raw('transformer_weights');
  const parts: Part[] = [];
  /** names of the fitted input columns some transformer reads (for the missing-columns check) */
  const used = new Set<number>();
  a.sequence('transformers_').forEach((entry, k) => {
    const [name, trans, spec] = asSequence(entry, `ColumnTransformer.transformers_[${k}]`) as [PyValue, PyValue, PyValue];
    const label = String(name);
    const what = `ColumnTransformer transformer '${label}'`;
    const selection = selectionOf(spec, fitNames, nFeatures, what);
    if (trans === 'drop' || selection.indices.length === 0) return;
    const transformer = transformerOf(trans, ctx, what);
    if (selection.scalar && (transformer === null || !takesItems(transformer))) {
      throw new TypeError(`${what} selects a single column as a 1-D array, which flowgate supports only for DictVectorizer and the text vectorizers (or a Pipeline starting with one)`);
    }
    const w = weights instanceof PyDict ? weights.get(label) : undefined;
    parts.push({ name: label, transformer, selection, weight: isNone(w) ? null : asNumber(w, `${what} weight`) });
    selection.indices.forEach((i) => used.add(i));
  });
  const sparse = a.raw('sparse_output_') === true;
  const pandas = isPandasOutput(obj);
  const prefix = prefixer(a.raw('verbose_feature_names_out'));

  /** The sub-table one part reads. */
  const select = (X: Table, byFitName: boolean, part: Part): Table => {
    let positions: number[];
    if (byFitName) {
      positions = part.selection.indices.map((i) => X.names!.indexOf(fitNames![i]!));
    } else {
      if (part.selection.byName) throw new Error('Specifying the columns using strings is only supported for dataframes.');
      positions = part.selection.indices;
    }
    return { rows: X.rows, names: X.names === null ? null : positions.map((p) => X.names![p]!), columns: positions.map((p) => X.columns[p]!) };
  };

  const run = (X: Table, byFitName: boolean, part: Part): Table => {
    const sub = select(X, byFitName, part);
    let out: Table;
    if (part.transformer === null) out = sub;
    else if (part.selection.scalar && takesItems(part.transformer)) out = part.transformer.transformItems(sub.columns[0]!.values, X.rows);
    else out = part.transformer.transform!(sub);
    return part.weight === null ? out : weighted(out, part.weight);
  };

  return {
    name: 'ColumnTransformer',
    transform(X: Table): Table {
      const byFitName = fitNames !== null && X.names !== null;
      if (byFitName) {
        const missing = [...used].map((i) => fitNames[i]!).filter((n) => !X.names!.includes(n));
        if (missing.length > 0) throw new Error(`columns are missing: {${missing.map((n) => `'${n}'`).join(', ')}}`);
      } else if (X.columns.length !== nFeatures) {
        throw new Error(`X has ${X.columns.length} features, but ColumnTransformer is expecting ${nFeatures} features as input.`);
      }
      const blocks = parts.map((part) => ({ part, out: run(X, byFitName, part) }));
      if (blocks.length === 0) return { rows: X.rows, names: null, columns: [] };
      if (sparse) return numericStack(blocks.map((b) => b.out), X.rows);
      let names: string[] | null = null;
      if (pandas) {
        names = blocks.flatMap(({ part, out }) => {
          if (out.names === null) throw new Error(`ColumnTransformer set to pandas output: transformer '${part.name}' gave no column names`);
          return out.names.map((n) => prefix(part.name, n));
        });
        return { rows: X.rows, names, columns: blocks.flatMap((b) => b.out.columns) };
      }
      return denseStack(blocks.map((b) => b.out), X.rows);
    },
  };
}

/** `res * weight`: numbers scaled in their own precision. */
function weighted(t: Table, w: number): Table {
  return {
    ...t,
    columns: t.columns.map((c) => {
      if (!isNumericColumn(c)) return { dtype: c.dtype, values: Array.from(c.values as ArrayLike<unknown>, (v) => (typeof v === 'number' ? v * w : v)) };
      const round = c.dtype === 'float32' ? Math.fround : (v: number) => v;
      const dtype: DType = c.dtype === 'float32' || c.dtype === 'float64' ? c.dtype : 'float64';
      return { dtype, values: (c.values as Float64Array).map((v) => round(v * w)) };
    }),
  };
}

/** np.hstack: one array, so one dtype for every column. */
function denseStack(blocks: Table[], rows: number): Table {
  const columns: Column[] = blocks.flatMap((b) => b.columns);
  const dtype = arrayDType(columns);
  return {
    rows,
    names: null,
    columns: columns.map((c) => {
      if (dtype !== 'object') return { dtype, values: c.values };
      return { dtype, values: isNumericColumn(c) ? Array.from(c.values as Float64Array, (v) => (c.dtype === 'bool' ? v !== 0 : v)) : c.values };
    }),
  };
}

/** sparse.hstack of check_array'd blocks: every value numeric (strings fail as sklearn says). */
function numericStack(blocks: Table[], rows: number): Table {
  let columns: Column[];
  try {
    columns = blocks.flatMap((b) => b.columns.map((c) => (isNumericColumn(c) ? c : { dtype: 'float64' as const, values: numericColumn(c) })));
  } catch (err) {
    throw new Error(`For a sparse output, all columns should be a numeric or convertible to a numeric.\n${(err as Error).message}`);
  }
  const dtype = arrayDType(columns);
  return { rows, names: null, columns: columns.map((c) => ({ dtype, values: c.values })) };
}

export const columnTransformer: EstimatorFamily = {
  classes: ['sklearn.compose._column_transformer.ColumnTransformer'],
  parts: ['sklearn.compose._column_transformer._RemainderColsList'],
  build: buildColumnTransformer,
};
