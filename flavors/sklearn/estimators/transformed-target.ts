/**
 * TransformedTargetRegressor (sklearn.compose): the regressor's prediction as a column (or the
 * columns of a 2-D one), through the fitted transformer_'s inverse_transform (a FunctionTransformer
 * of allow-listed ufuncs when fitted with func/inverse_func, or a scaler, QuantileTransformer,
 * PowerTransformer...), squeezed back to 1-D for a 1-D training target.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { now, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import type { Table } from '../table.js';
import { requireMethod } from './members.js';

function columnsOf(t: Tensor): Table {
  if (!(t.values instanceof Float64Array)) throw new TypeError(`TransformedTargetRegressor: the regressor answered ${t.dtype} values`);
  const rows = t.shape[0]!;
  const width = t.shape.length === 1 ? 1 : t.shape[1]!;
  const values = t.values;
  return {
    rows,
    names: null,
    columns: Array.from({ length: width }, (_, j) => ({ dtype: t.dtype, values: Float64Array.from({ length: rows }, (_, i) => values[i * width + j]!) })),
  };
}

function tensorOf(X: Table, squeeze: boolean): Tensor {
  const width = X.columns.length;
  const dtypes = new Set(X.columns.map((c) => c.dtype));
  const values = new Float64Array(X.rows * width);
  X.columns.forEach((c, j) => {
    const v = c.values as Float64Array;
    for (let i = 0; i < X.rows; i++) values[i * width + j] = v[i]!;
  });
  const dtype = dtypes.size === 1 ? [...dtypes][0]! : 'float64';
  return { dtype, shape: squeeze && width === 1 ? [X.rows] : [X.rows, width], values };
}

function buildTransformedTarget(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const regressor = ctx.build(a.required('regressor_'), 'TransformedTargetRegressor.regressor_');
  const transformer = ctx.build(a.required('transformer_'), 'TransformedTargetRegressor.transformer_');
  requireMethod(regressor, 'predict', obj.name);
  if (typeof transformer.inverseTransform !== 'function') {
    throw new TypeError(`TransformedTargetRegressor with transformer ${transformer.name} is not supported (flowgate has no inverse_transform for it)`);
  }
  const squeeze = a.int('_training_dim') === 1;
  return {
    name: obj.name,
    predict(X) {
      const pred = now(regressor.predict!(X), 'the regressor of a TransformedTargetRegressor');
      return tensorOf(transformer.inverseTransform!(columnsOf(pred)), squeeze);
    },
  };
}

export const transformedTarget: EstimatorFamily = {
  classes: ['sklearn.compose._target.TransformedTargetRegressor'],
  build: buildTransformedTarget,
};
