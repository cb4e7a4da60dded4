/**
 * FunctionTransformer (sklearn.preprocessing) as the identity it is with func=None — what a
 * ColumnTransformer's 'passthrough' becomes. With validate=True the input is first checked and
 * converted to one float array, as check_array does. Any other func is refused at load: its
 * code lives in Python.
 */
import { Attributes, describe, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import type { Table } from '../table.js';
import { arrayDType } from './table-values.js';

function buildFunctionTransformer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const func = a.raw('func');
  if (func !== null && func !== undefined) {
    throw new TypeError(`FunctionTransformer with func=${describe(func)} is not supported (only the identity, func=None)`);
  }
  if (a.raw('validate') !== true) return { name: obj.name, transform: (X: Table) => X };
  const check = featureCheckOf(obj);
  return {
    name: obj.name,
    transform(X: Table): Table {
      // check_array(X): a numeric array keeps its dtype, anything else becomes float64
      const common = arrayDType(X.columns);
      const dtype = common === 'object' ? 'float64' : common;
      return { rows: X.rows, names: null, columns: numericFeatures(X, check).map((values) => ({ dtype, values })) };
    },
  };
}

export const functionTransformer: EstimatorFamily = {
  classes: ['sklearn.preprocessing._function_transformer.FunctionTransformer', 'sklearn.preprocessing.function_transformer.FunctionTransformer'],
  build: buildFunctionTransformer,
};
