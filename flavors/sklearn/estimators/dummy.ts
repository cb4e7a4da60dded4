/**
 * DummyClassifier and DummyRegressor (sklearn.dummy): constant predictions that ignore X
 * (only its row count is read, as sklearn does: NaN and any feature count are accepted).
 * Also the default `init_` of gradient boosting.
 */
import type { DType as TensorDType, Tensor } from '../../../src/model/data.js';
import { Attributes, NumpyScalar, type PyObject, type PyValue } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import { argmax } from '../numeric.js';
import { float64Tensor, tensorDType } from '../output.js';

const MODULES = ['sklearn.dummy'];

/** The numpy dtype `np.array([value])` would get, and the plain value. */
function scalarOf(v: PyValue): { dtype: TensorDType; value: unknown } {
  if (v instanceof NumpyScalar) return { dtype: tensorDType(v.dtype), value: v.dtype.kind === 'b' ? Number(v.value) : v.value };
  if (typeof v === 'string') return { dtype: 'string', value: v };
  if (typeof v === 'boolean') return { dtype: 'bool', value: Number(v) };
  if (typeof v === 'number') return { dtype: Number.isInteger(v) ? 'int64' : 'float64', value: v };
  if (typeof v === 'bigint') return { dtype: 'int64', value: Number(v) };
  throw new TypeError(`DummyClassifier constant of this type (${typeof v}) is not supported`);
}

function repeat(dtype: TensorDType, value: unknown, rows: number): Tensor {
  if (typeof value === 'number') return { dtype, shape: [rows], values: new Float64Array(rows).fill(value) };
  return { dtype, shape: [rows], values: new Array<unknown>(rows).fill(value) };
}

function buildDummyClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const strategy = String(a.raw('_strategy') ?? a.raw('strategy'));
  if (a.int('n_outputs_') !== 1) throw new TypeError('DummyClassifier with several outputs is not supported');
  if (strategy === 'stratified' || strategy === 'uniform') {
    throw new TypeError(`DummyClassifier(strategy='${strategy}') predicts at random; flowgate does not reproduce numpy's random draws`);
  }
  if (strategy !== 'most_frequent' && strategy !== 'prior' && strategy !== 'constant') {
    throw new TypeError(`DummyClassifier strategy '${strategy}' is not supported`);
  }
  const classes = a.array('classes_');
  const labels = classes.items();
  const prior = a.numbers('class_prior_');
  const k = classes.size;
  let constantIndex = -1;
  let label: { dtype: TensorDType; value: unknown };
  if (strategy === 'constant') {
    const constant = a.required('constant');
    const c = scalarOf(constant);
    constantIndex = labels.findIndex((l) => scalarOf(l).value === c.value);
    label = c;
  } else {
    const top = labels[argmax(prior, 0, k)]!;
    label = classes.data instanceof Float64Array ? { dtype: tensorDType(classes.dtype), value: top } : scalarOf(top);
  }
  const proba = (rows: number): Float64Array => {
    const out = new Float64Array(rows * k);
    const hot = strategy === 'most_frequent' ? argmax(prior, 0, k) : constantIndex;
    for (let i = 0; i < rows; i++) {
      if (strategy === 'prior') out.set(prior, i * k);
      else if (hot >= 0) out[i * k + hot] = 1;
    }
    return out;
  };
  return {
    name: obj.name,
    predict: (X) => repeat(label.dtype, label.value, X.rows),
    predictProba: (X) => float64Tensor(proba(X.rows), [X.rows, k]),
    predictLogProba: (X) => float64Tensor(proba(X.rows).map(Math.log), [X.rows, k]),
  };
}

function buildDummyRegressor(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const constant = a.array('constant_');
  const values = constant.numbers();
  const nOutputs = a.int('n_outputs_');
  if (values.length !== nOutputs) throw new TypeError(`DummyRegressor.constant_ has ${values.length} values for ${nOutputs} outputs`);
  const dtype = tensorDType(constant.dtype);
  return {
    name: obj.name,
    predict(X) {
      const out = new Float64Array(X.rows * nOutputs);
      for (let i = 0; i < X.rows; i++) out.set(values, i * nOutputs);
      return { dtype, shape: nOutputs === 1 ? [X.rows] : [X.rows, nOutputs], values: out };
    },
  };
}

export const dummies: EstimatorFamily = {
  classes: MODULES.flatMap((m) => [`${m}.DummyClassifier`, `${m}.DummyRegressor`]),
  build: (obj) => (obj.name === 'DummyClassifier' ? buildDummyClassifier(obj) : buildDummyRegressor(obj)),
};
