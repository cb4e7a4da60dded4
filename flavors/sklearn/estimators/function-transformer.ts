/**
 * FunctionTransformer (sklearn.preprocessing) with func None (the identity, what a
 * ColumnTransformer's 'passthrough' becomes) or an allow-listed numpy ufunc (np.log1p, np.exp,
 * np.sqrt...: NUMPY_UFUNCS), applied element-wise with numpy's result dtypes (integers become
 * float64, float32 stays float32 for the float functions; abs/negative/square/sign keep the
 * dtype). A DataFrame keeps its column names unless validate=True made it an array. Any other
 * function lives in Python code, which the unpickler already refused; ufunc keyword arguments
 * are refused here. inverse_transform applies inverse_func the same way.
 */
import type { Column, DType } from '../../../src/model/data.js';
import { Attributes, NUMPY_UFUNC_MODULES, PyDict, PyGlobal, describe, isNone, type PyObject, type PyValue } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { type FeatureCheck, featureCheckOf, numericFeatures } from '../features.js';
import { numericColumn, type Table } from '../table.js';
import { arrayDType } from './table-values.js';

/** Float functions: numpy computes them in float32 for float32 input, float64 for integers. */
const FLOAT_UFUNCS: Record<string, (x: number) => number> = {
  log: Math.log, log1p: Math.log1p, log2: Math.log2, log10: Math.log10, exp: Math.exp, expm1: Math.expm1,
  exp2: (x) => 2 ** x, sqrt: Math.sqrt, cbrt: Math.cbrt, fabs: Math.abs, sin: Math.sin, cos: Math.cos, tan: Math.tan,
  arcsin: Math.asin, arccos: Math.acos, arctan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh,
  arcsinh: Math.asinh, arccosh: Math.acosh, arctanh: Math.atanh,
  deg2rad: (x) => x * (Math.PI / 180), radians: (x) => x * (Math.PI / 180),
  rad2deg: (x) => x * (180 / Math.PI), degrees: (x) => x * (180 / Math.PI),
};

/** Functions whose result keeps the input's dtype. */
const SAME_DTYPE_UFUNCS: Record<string, (x: number) => number> = {
  absolute: Math.abs, negative: (x) => -x, positive: (x) => x, square: (x) => x * x,
  sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0),
};

const INPUT_DTYPES: readonly DType[] = ['int32', 'int64', 'uint32', 'uint64', 'float32', 'float64'];

type Elementwise = (X: Table) => Table;

/** One ufunc over a table's columns, with numpy's dtypes; null func: the identity. */
function ufuncOf(func: PyValue | undefined, kwargs: PyValue | undefined, role: string): Elementwise | null {
  if (isNone(func)) return null;
  const name = func instanceof PyGlobal && NUMPY_UFUNC_MODULES.includes(func.module) ? func.name : null;
  const float = name === null ? undefined : FLOAT_UFUNCS[name];
  const same = name === null ? undefined : SAME_DTYPE_UFUNCS[name];
  if (float === undefined && same === undefined) {
    throw new TypeError(`FunctionTransformer with ${role}=${describe(func)} is not supported (only the identity and numpy ufuncs such as np.log1p)`);
  }
  if (kwargs instanceof PyDict ? kwargs.size > 0 : !isNone(kwargs)) {
    throw new TypeError(`FunctionTransformer with ${role} keyword arguments (kw_args) is not supported`);
  }
  const f = (float ?? same)!;
  return (X) => {
    const columns = X.columns.map((c): Column => {
      if (!INPUT_DTYPES.includes(c.dtype) || !(c.values instanceof Float64Array)) {
        throw new Error(`ufunc '${name}' on a ${c.dtype} column is not supported by flowgate (numeric int32/int64/float32/float64 columns are)`);
      }
      const float32 = c.dtype === 'float32';
      const dtype: DType = same !== undefined ? c.dtype : float32 ? 'float32' : 'float64';
      const values = numericColumn(c).map(float32 ? (x) => Math.fround(f(x)) : f);
      return { dtype, values };
    });
    return { rows: X.rows, names: X.names, columns };
  };
}

/** check_array: a numeric array keeps its dtype, anything else becomes float64; no names. */
function validated(X: Table, check: FeatureCheck): Table {
  const common = arrayDType(X.columns);
  const dtype = common === 'object' ? 'float64' : common;
  return { rows: X.rows, names: null, columns: numericFeatures(X, check).map((values) => ({ dtype, values })) };
}

function buildFunctionTransformer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const forward = ufuncOf(a.raw('func'), a.raw('kw_args'), 'func');
  const backward = ufuncOf(a.raw('inverse_func'), a.raw('inv_kw_args'), 'inverse_func');
  const validate = a.raw('validate') === true;
  const check = featureCheckOf(obj);
  const apply = (f: Elementwise | null, X: Table): Table => (f === null ? X : f(X));
  return {
    name: obj.name,
    transform: (X: Table) => apply(forward, validate ? validated(X, check) : X),
    inverseTransform: (X: Table) => apply(backward, validate ? validated(X, { ...check, featureNames: null, nFeatures: null }) : X),
  };
}

export const functionTransformer: EstimatorFamily = {
  classes: ['sklearn.preprocessing._function_transformer.FunctionTransformer', 'sklearn.preprocessing.function_transformer.FunctionTransformer'],
  build: buildFunctionTransformer,
};
