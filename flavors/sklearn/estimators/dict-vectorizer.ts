/**
 * DictVectorizer (sklearn.feature_extraction): one dict per row (a column of JSON objects,
 * which a ColumnTransformer selects by a single name) to its fitted features: a number (or
 * bool, None → NaN) under its key, a string as `key=value` → 1, a list of strings as one
 * `key=item` per item. Features not seen in fit are dropped; a feature met twice adds up, as
 * scipy's CSR → dense does.
 */
import type { DType, Values } from '../../../src/model/data.js';
import { Attributes, asInt, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import type { Table } from '../table.js';
import { outputDType } from './output-dtype.js';
import { isPandasOutput } from './pandas-output.js';

/** A transformer fed one column of items (a pandas Series), as a ColumnTransformer does for a single column name. */
export interface ItemsTransformer extends Estimator {
  transformItems(values: Values, rows: number): Table;
}

export function takesItems(e: Estimator): e is ItemsTransformer {
  return typeof (e as Partial<ItemsTransformer>).transformItems === 'function';
}

function typeName(v: unknown): string {
  return v === null ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v;
}

function buildDictVectorizer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const vocabulary = new Map<string, number>();
  for (const [k, v] of a.dict('vocabulary_').entries()) vocabulary.set(String(k), asInt(v, 'DictVectorizer.vocabulary_'));
  const separator = a.string('separator');
  const dtype: DType = outputDType(a.raw('dtype'), 'DictVectorizer');
  const width = vocabulary.size;
  const names = isPandasOutput(obj) ? a.sequence('feature_names_').map(String) : null;
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;

  const transformItems = (values: Values, rows: number): Table => {
    const columns = Array.from({ length: width }, () => new Float64Array(rows));
    const add = (feature: string, v: number, i: number): void => {
      const j = vocabulary.get(feature);
      if (j !== undefined) columns[j]![i] = round(columns[j]![i]! + round(v));
    };
    for (let i = 0; i < rows; i++) {
      const x = values[i];
      if (x === null || typeof x !== 'object' || Array.isArray(x) || x instanceof Float64Array) {
        throw new TypeError(`DictVectorizer expects a dict per row, got ${typeName(x)}`);
      }
      for (const [f, v] of x instanceof Map ? x.entries() : Object.entries(x as Record<string, unknown>)) {
        if (typeof v === 'string') add(`${f}${separator}${v}`, 1, i);
        else if (typeof v === 'number' || typeof v === 'boolean') add(String(f), Number(v), i);
        else if (v === null || v === undefined) add(String(f), NaN, i);
        else if (Array.isArray(v)) {
          for (const item of v) {
            if (typeof item !== 'string') throw new TypeError(`Unsupported type ${typeName(item)} in iterable value. Only iterables of string are supported.`);
            add(`${f}${separator}${item}`, 1, i);
          }
        } else throw new TypeError(`Unsupported value Type ${typeName(v)} for ${String(f)}`);
      }
    }
    return { rows, names, columns: columns.map((c) => ({ dtype, values: c })) };
  };

  const estimator: ItemsTransformer = {
    name: obj.name,
    transformItems,
    transform(X: Table): Table {
      // sklearn iterates X: a DataFrame yields its column names, an array its rows, neither a dict
      throw new TypeError(`DictVectorizer takes a sequence of dicts, not a ${X.names === null ? '2-D array' : 'DataFrame'}: select its column with a single name in a ColumnTransformer`);
    },
  };
  return estimator;
}

export const dictVectorizer: EstimatorFamily = {
  classes: ['sklearn.feature_extraction._dict_vectorizer.DictVectorizer', 'sklearn.feature_extraction.dict_vectorizer.DictVectorizer'],
  build: buildDictVectorizer,
};
