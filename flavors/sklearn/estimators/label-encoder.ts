/**
 * LabelEncoder (sklearn.preprocessing): transform maps each label of a single column to its
 * index in `classes_` (int64); an unseen label fails as in sklearn. It has no predict, so it
 * serves only as a step whose transform is called.
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { isNumericColumn, numericColumn, type Table } from '../table.js';
import { Categories } from './category-encoding.js';

function buildLabelEncoder(obj: PyObject): Estimator {
  const classes = new Categories(new Attributes(obj).array('classes_'), 'LabelEncoder.classes_');
  const integerClasses = classes.array.dtype.kind === 'i' || classes.array.dtype.kind === 'u';
  return {
    name: obj.name,
    transform(X: Table): Table {
      if (X.columns.length !== 1) throw new Error(`y should be a 1d array, got an array of shape (${X.rows}, ${X.columns.length}) instead.`);
      let column = X.columns[0]!;
      // column_or_1d(y, dtype=classes_.dtype): labels take the classes' type first
      if (classes.numeric) {
        const values = numericColumn(column);
        column = { dtype: 'float64', values: integerClasses ? values.map(Math.trunc) : values };
      } else if (isNumericColumn(column)) {
        column = { dtype: 'string', values: Array.from(column.values as Float64Array, String) };
      }
      const codes = classes.indexOf(column, X.rows);
      const unseen = [...new Set(Array.from(codes, (c, i) => (c < 0 ? String(column.values[i]) : null)).filter((v) => v !== null))];
      if (unseen.length > 0) throw new Error(`y contains previously unseen labels: ${unseen.map((v) => `'${v}'`).join(', ')}`);
      return { rows: X.rows, names: null, columns: [{ dtype: 'int64', values: Float64Array.from(codes) }] };
    },
  };
}

export const labelEncoder: EstimatorFamily = {
  classes: ['sklearn.preprocessing._label.LabelEncoder', 'sklearn.preprocessing.label.LabelEncoder'],
  build: buildLabelEncoder,
};
