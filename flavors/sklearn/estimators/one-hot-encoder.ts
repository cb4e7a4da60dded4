/**
 * OneHotEncoder (sklearn.preprocessing): one output column per (grouped) category, with
 * handle_unknown error/ignore/infrequent_if_exist/warn, `drop` ('first', 'if_binary', explicit)
 * and infrequent categories (min_frequency / max_categories) as fitted. The output is dense
 * whatever `sparse_output` says (a consumer of a CSR matrix computes the same numbers).
 */
import type { DType } from '../../../src/model/data.js';
import { Attributes, asNumber, asSequence, isNone, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import type { Table } from '../table.js';
import { encodeColumns, encoderStateOf, inputFeatureNames, type EncoderState, type HandleUnknown } from './category-encoding.js';
import { outputDType } from './output-dtype.js';
import { isPandasOutput } from './pandas-output.js';

const HANDLE_UNKNOWN: readonly HandleUnknown[] = ['error', 'ignore', 'infrequent_if_exist', 'warn'];

/** Per feature, the (grouped) category index to drop, or null. */
function dropIndices(a: Attributes, n: number): (number | null)[] {
  // since 1.3 `drop_idx_` indexes the ungrouped categories and `_drop_idx_after_grouping` the output ones
  const v = a.has('_drop_idx_after_grouping') ? a.raw('_drop_idx_after_grouping') : a.raw('drop_idx_');
  if (isNone(v)) return new Array<null>(n).fill(null);
  const items = asSequence(v, `${a.obj.name}.drop_idx_`);
  if (items.length !== n) throw new TypeError(`${a.obj.name}.drop_idx_ has ${items.length} entries for ${n} features`);
  return items.map((x, f) => (isNone(x) ? null : asNumber(x, `${a.obj.name}.drop_idx_[${f}]`)));
}

/** The categories of feature f as output columns: infrequent ones grouped last, the dropped one removed. */
function outputCategories(state: EncoderState, f: number, drop: number | null): string[] {
  const cats = state.categories[f]!;
  let labels = cats.labels();
  const grouping = state.grouping[f];
  if (grouping !== null && grouping !== undefined) {
    const infrequentCode = Math.max(...grouping);
    labels = [...labels.filter((_, i) => grouping[i]! < infrequentCode), 'infrequent_sklearn'];
  }
  if (drop !== null) labels = labels.filter((_, i) => i !== drop);
  return labels;
}

function buildOneHotEncoder(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const state = encoderStateOf(obj);
  const handleUnknown = a.string('handle_unknown') as HandleUnknown;
  if (!HANDLE_UNKNOWN.includes(handleUnknown)) throw new TypeError(`OneHotEncoder with handle_unknown='${handleUnknown}' is not supported`);
  const n = state.categories.length;
  const drop = dropIndices(a, n);
  const dtype: DType = outputDType(a.raw('dtype'), 'OneHotEncoder');
  const outputs = state.categories.map((_, f) => outputCategories(state, f, drop[f]!));
  const widths = outputs.map((o) => o.length);
  const fittedWidths = a.raw('_n_features_outs');
  if (!isNone(fittedWidths) && asSequence(fittedWidths, 'OneHotEncoder._n_features_outs').map(Number).join() !== widths.join()) {
    throw new TypeError('OneHotEncoder: its fitted output widths differ from the categories, infrequent groups and drops flowgate reads');
  }
  let names: string[] | null = null;
  if (isPandasOutput(obj)) {
    if (a.raw('feature_name_combiner') !== undefined && a.raw('feature_name_combiner') !== 'concat') {
      throw new TypeError('OneHotEncoder with a callable feature_name_combiner and pandas output is not supported');
    }
    const input = inputFeatureNames(state);
    names = outputs.flatMap((labels, f) => labels.map((l) => `${input[f]}_${l}`));
  }

  return {
    name: obj.name,
    transform(X: Table): Table {
      const { codes, known } = encodeColumns(state, X, handleUnknown);
      const columns = widths.flatMap((w) => Array.from({ length: w }, () => new Float64Array(X.rows)));
      let offset = 0;
      for (let f = 0; f < n; f++) {
        const c = codes[f]!;
        const m = known[f]!;
        const d = drop[f];
        for (let i = 0; i < X.rows; i++) {
          if (m[i] === 0) continue;
          let code = c[i]!;
          if (d !== null && d !== undefined) {
            if (code === d) continue;
            if (code > d) code--;
          }
          columns[offset + code]![i] = 1;
        }
        offset += widths[f]!;
      }
      return { rows: X.rows, names, columns: columns.map((values) => ({ dtype, values })) };
    },
  };
}

export const oneHotEncoder: EstimatorFamily = {
  classes: ['sklearn.preprocessing._encoders.OneHotEncoder'],
  build: buildOneHotEncoder,
};
