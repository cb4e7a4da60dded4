/**
 * Linear regressors whose predict is `X @ coef_.T + intercept_`: LinearRegression, Ridge,
 * Lasso, ElasticNet (and their CV variants), BayesianRidge, HuberRegressor, SGDRegressor.
 */
import { Attributes, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { linearDecisionOf, linearScores } from './linear-model.js';
import { SGD_LOSSES, SKLEARN_LOSSES } from './losses.js';

function buildLinearRegressor(obj: PyObject): Estimator {
  const d = linearDecisionOf(new Attributes(obj));
  const k = d.coef.length;
  return {
    name: obj.name,
    predict(X) {
      const { scores, float32 } = linearScores(d, X);
      return { dtype: float32 ? 'float32' : 'float64', shape: d.flat ? [X.rows] : [X.rows, k], values: scores };
    },
  };
}

export const linearRegressors: EstimatorFamily = {
  classes: [
    ...qualified(['sklearn.linear_model._base', 'sklearn.linear_model.base'], ['LinearRegression']),
    ...qualified(['sklearn.linear_model._ridge', 'sklearn.linear_model.ridge'], ['Ridge', 'RidgeCV']),
    ...qualified(['sklearn.linear_model._coordinate_descent', 'sklearn.linear_model.coordinate_descent'], ['Lasso', 'LassoCV', 'ElasticNet', 'ElasticNetCV']),
    ...qualified(['sklearn.linear_model._bayes', 'sklearn.linear_model.bayes'], ['BayesianRidge']),
    ...qualified(['sklearn.linear_model._huber', 'sklearn.linear_model.huber'], ['HuberRegressor']),
    ...qualified(['sklearn.linear_model._stochastic_gradient', 'sklearn.linear_model.stochastic_gradient'], ['SGDRegressor']),
  ],
  // SGD keeps its loss object in the state; predict reads the `loss` parameter instead.
  parts: [...SGD_LOSSES, ...SKLEARN_LOSSES],
  build: buildLinearRegressor,
};
