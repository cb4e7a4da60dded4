/**
 * MLPClassifier and MLPRegressor (sklearn.neural_network): `_forward_pass_fast`, layer by layer
 * `activation @ coefs_[i] + intercepts_[i]`, the hidden activation on every layer but the last,
 * then the output activation (softmax, logistic or identity). The classifier's labels come from
 * its pickled LabelBinarizer as sklearn's inverse_transform reads them: argmax for multiclass,
 * `> 0.5` for binary and multilabel outputs. A network fitted on float32 data fed float32 input
 * computes in float32, as numpy does (to float32 precision: BLAS's float32 summation order is
 * CPU-specific); otherwise in float64.
 */
import type { Tensor } from '../../../src/model/data.js';
import { Attributes, asArray, type NDArray, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { featureCheckOf, numericFeatures } from '../features.js';
import { argmax, expit, logInPlace, npSum } from '../numeric.js';
import { float64Tensor, takeLabels } from '../output.js';
import { isFloat32Table, type Table } from '../table.js';

type Activation = 'identity' | 'logistic' | 'tanh' | 'relu' | 'softmax';
const ACTIVATIONS: readonly Activation[] = ['identity', 'logistic', 'tanh', 'relu', 'softmax'];

interface Layer {
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly fanIn: number;
  readonly fanOut: number;
}

function activationOf(a: Attributes, name: string): Activation {
  const v = a.string(name) as Activation;
  if (!ACTIVATIONS.includes(v)) throw new TypeError(`${a.obj.name} with ${name}='${v}' is not supported`);
  return v;
}

/** numpy's in-place activation on a [rows, width] row-major block. */
function activate(kind: Activation, m: Float64Array, width: number, round: (v: number) => number): void {
  switch (kind) {
    case 'identity':
      return;
    case 'logistic':
      for (let i = 0; i < m.length; i++) m[i] = round(expit(m[i]!));
      return;
    case 'tanh':
      for (let i = 0; i < m.length; i++) m[i] = round(Math.tanh(m[i]!));
      return;
    case 'relu':
      // np.maximum(X, 0) keeps NaN
      for (let i = 0; i < m.length; i++) if (m[i]! < 0) m[i] = 0;
      return;
    case 'softmax':
      // tmp = X - X.max(axis=1); np.exp(tmp, out=X); X /= X.sum(axis=1)
      for (let base = 0; base < m.length; base += width) {
        let max = -Infinity;
        for (let j = 0; j < width; j++) max = Math.max(max, m[base + j]!);
        for (let j = 0; j < width; j++) m[base + j] = round(Math.exp(round(m[base + j]! - max)));
        const sum = round(npSum(m, base, width));
        for (let j = 0; j < width; j++) m[base + j] = round(m[base + j]! / sum);
      }
  }
}

class Network {
  readonly layers: Layer[];
  readonly hidden: Activation;
  readonly output: Activation;
  readonly float32: boolean;
  readonly check;

  constructor(obj: PyObject) {
    const a = new Attributes(obj);
    const coefs = a.sequence('coefs_').map((c, i) => asArray(c, `${obj.name}.coefs_[${i}]`));
    const intercepts = a.sequence('intercepts_').map((c, i) => asArray(c, `${obj.name}.intercepts_[${i}]`));
    if (coefs.length === 0 || coefs.length !== intercepts.length) throw new TypeError(`${obj.name} has ${coefs.length} weight matrices and ${intercepts.length} bias vectors`);
    this.layers = coefs.map((w, i) => {
      const b = intercepts[i]!;
      if (w.ndim !== 2 || b.ndim !== 1 || b.shape[0] !== w.shape[1]) throw new TypeError(`${obj.name} layer ${i} has weights (${w.shape.join(', ')}) and bias (${b.shape.join(', ')})`);
      if (i > 0 && w.shape[0] !== coefs[i - 1]!.shape[1]) throw new TypeError(`${obj.name} layer ${i} does not follow layer ${i - 1}`);
      return { weights: w.numbers(), bias: b.numbers(), fanIn: w.shape[0]!, fanOut: w.shape[1]! };
    });
    this.hidden = activationOf(a, 'activation');
    this.output = activationOf(a, 'out_activation_');
    this.float32 = coefs.every((w) => w.dtype.kind === 'f' && w.dtype.itemsize === 4);
    const check = featureCheckOf(obj);
    this.check = { ...check, nFeatures: check.nFeatures ?? this.layers[0]!.fanIn };
  }

  get outputs(): number {
    return this.layers[this.layers.length - 1]!.fanOut;
  }

  /** The last layer's activation, [rows, outputs] row-major; `float32`: computed in float32. */
  forward(X: Table): { values: Float64Array; float32: boolean } {
    const columns = numericFeatures(X, this.check);
    const float32 = this.float32 && isFloat32Table(X);
    const round = float32 ? Math.fround : (v: number): number => v;
    const rows = X.rows;
    let width = columns.length;
    let current = new Float64Array(rows * width);
    columns.forEach((col, j) => {
      for (let i = 0; i < rows; i++) current[i * width + j] = col[i]!;
    });
    this.layers.forEach((layer, l) => {
      const next = new Float64Array(rows * layer.fanOut);
      const { weights, bias, fanOut } = layer;
      for (let i = 0; i < rows; i++) {
        const out = i * fanOut;
        for (let k = 0; k < width; k++) {
          const x = current[i * width + k]!;
          const w = k * fanOut;
          for (let o = 0; o < fanOut; o++) next[out + o] = round(next[out + o]! + round(x * weights[w + o]!));
        }
        for (let o = 0; o < fanOut; o++) next[out + o] = round(next[out + o]! + bias[o]!);
      }
      activate(l === this.layers.length - 1 ? this.output : this.hidden, next, fanOut, round);
      current = next;
      width = fanOut;
    });
    return { values: current, float32 };
  }
}

function tensorOf(values: Float64Array, shape: number[], float32: boolean): Tensor {
  return float32 ? { dtype: 'float32', shape, values } : float64Tensor(values, shape);
}

function buildRegressor(obj: PyObject): Estimator {
  const net = new Network(obj);
  return {
    name: obj.name,
    predict(X) {
      const { values, float32 } = net.forward(X);
      return tensorOf(values, net.outputs === 1 ? [X.rows] : [X.rows, net.outputs], float32);
    },
  };
}

function buildClassifier(obj: PyObject): Estimator {
  const net = new Network(obj);
  const binarizer = new Attributes(new Attributes(obj).object('_label_binarizer'));
  const classes: NDArray = binarizer.array('classes_');
  const yType = binarizer.string('y_type_');
  const k = net.outputs;
  if (!['binary', 'multiclass', 'multilabel-indicator'].includes(yType)) throw new TypeError(`MLPClassifier with targets of type '${yType}' is not supported`);
  // LabelBinarizer's threshold, (pos_label + neg_label) / 2
  const threshold = (binarizer.number('pos_label') + binarizer.number('neg_label')) / 2;

  const predict = (X: Table): Tensor => {
    const { values } = net.forward(X);
    const n = X.rows;
    if (yType === 'multiclass') {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = argmax(values, i * k, k);
      return takeLabels(classes, idx);
    }
    const above = Float64Array.from(values, (v) => (v > threshold ? 1 : 0));
    if (yType === 'multilabel-indicator') return { dtype: 'int64', shape: [n, k], values: above };
    return takeLabels(classes, above);
  };
  const proba = (X: Table): { values: Float64Array; float32: boolean } => {
    const { values, float32 } = net.forward(X);
    if (k !== 1) return { values, float32 };
    // np.vstack([1 - y_pred, y_pred]).T
    const out = new Float64Array(X.rows * 2);
    const round = float32 ? Math.fround : (v: number): number => v;
    for (let i = 0; i < X.rows; i++) {
      out[2 * i] = round(1 - values[i]!);
      out[2 * i + 1] = values[i]!;
    }
    return { values: out, float32 };
  };
  const width = k === 1 ? 2 : k;
  return {
    name: obj.name,
    predict,
    predictProba(X) {
      const { values, float32 } = proba(X);
      return tensorOf(values, [X.rows, width], float32);
    },
    predictLogProba(X) {
      const { values, float32 } = proba(X);
      const logs = logInPlace(values);
      return tensorOf(float32 ? logs.map(Math.fround) : logs, [X.rows, width], float32);
    },
  };
}

const MODULES = ['sklearn.neural_network._multilayer_perceptron', 'sklearn.neural_network.multilayer_perceptron'];

export const multilayerPerceptrons: EstimatorFamily = {
  classes: qualified(MODULES, ['MLPClassifier', 'MLPRegressor']),
  parts: [
    // the fitted optimizer's state and the classifier's label binarizer stay in the pickle
    ...qualified(['sklearn.neural_network._stochastic_optimizers'], ['SGDOptimizer', 'AdamOptimizer']),
    ...qualified(['sklearn.preprocessing._label', 'sklearn.preprocessing.label'], ['LabelBinarizer']),
  ],
  build: (obj) => (obj.name === 'MLPClassifier' ? buildClassifier(obj) : buildRegressor(obj)),
};
