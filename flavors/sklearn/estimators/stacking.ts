/**
 * StackingClassifier and StackingRegressor (sklearn.ensemble._stacking). Each member answers
 * its `stack_method_` (predict_proba, decision_function or predict) on the input as given; the
 * answers become columns (a 1-D answer one column, a two-class predict_proba its second column
 * only), the input itself follows with passthrough=True, and the final estimator predicts from
 * that array. The classifier's members and final estimator learnt class indices: its label
 * encoder maps them back.
 */
import type { Column, Tensor } from '../../../src/model/data.js';
import { Attributes, type NDArray, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type BuildContext, type Estimator, type EstimatorFamily } from '../estimator.js';
import { takeLabels } from '../output.js';
import { numericColumn, type Table } from '../table.js';
import { BUNCH, answer, numbersOf, requireMethod, type MemberMethod } from './members.js';

const METHODS: Record<string, MemberMethod> = {
  predict: 'predict',
  predict_proba: 'predictProba',
  decision_function: 'decisionFunction',
};

interface Stacked {
  readonly estimator: Estimator;
  readonly method: MemberMethod;
}

function stackedMembers(obj: PyObject, ctx: BuildContext): Stacked[] {
  const a = new Attributes(obj);
  const estimators = a.sequence('estimators_').filter((e) => e !== 'drop');
  const methods = a.sequence('stack_method_').map(String);
  if (estimators.length === 0 || methods.length !== estimators.length) throw new TypeError(`${obj.name} has ${estimators.length} members and ${methods.length} stack methods`);
  return estimators.map((e, i) => {
    const method = METHODS[methods[i]!];
    if (method === undefined) throw new TypeError(`${obj.name} with stack method '${methods[i]}' is not supported`);
    const estimator = ctx.build(e, `${obj.name}.estimators_[${i}]`);
    requireMethod(estimator, method, obj.name);
    return { estimator, method };
  });
}

/** `transform`: the members' answers side by side (then X with passthrough), as an ndarray. */
function stackedInput(obj: PyObject, members: readonly Stacked[], nClasses: number | null): (X: Table) => Table {
  const passthrough = new Attributes(obj).raw('passthrough') === true;
  return (X) => {
    const columns: Column[] = [];
    for (const { estimator, method } of members) {
      const t = answer(estimator, method, X, obj.name);
      const v = numbersOf(t, `${obj.name} member ${estimator.name}`);
      const width = t.shape.length === 1 ? 1 : t.shape[1]!;
      const from = method === 'predictProba' && nClasses === 2 && width === 2 ? 1 : 0;
      for (let c = from; c < width; c++) columns.push({ dtype: t.dtype, values: Float64Array.from({ length: X.rows }, (_, i) => v[i * width + c]!) });
    }
    if (passthrough) for (const c of X.columns) columns.push({ dtype: c.dtype, values: numericColumn(c) });
    return { rows: X.rows, names: null, columns };
  };
}

function buildStacking(obj: PyObject, ctx: BuildContext): Estimator {
  const a = new Attributes(obj);
  const members = stackedMembers(obj, ctx);
  const final = ctx.build(a.required('final_estimator_'), `${obj.name}.final_estimator_`);
  if (obj.name === 'StackingRegressor') {
    requireMethod(final, 'predict', obj.name);
    const through = stackedInput(obj, members, null);
    return { name: obj.name, predict: (X) => final.predict!(through(X)), transform: through };
  }
  const encoder = a.raw('_label_encoder') ?? a.raw('_le');
  if (Array.isArray(encoder)) throw new TypeError(`${obj.name} fitted on multilabel targets is not supported`);
  const classes = new Attributes(a.object(a.has('_label_encoder') ? '_label_encoder' : '_le')).array('classes_');
  const through = stackedInput(obj, members, classes.size);
  requireMethod(final, 'predict', obj.name);
  const out: Estimator = {
    name: obj.name,
    transform: through,
    predict(X) {
      const t = answer(final, 'predict', through(X), obj.name);
      const idx = numbersOf(t, `${obj.name}.final_estimator_`);
      // LabelEncoder.inverse_transform
      return labelsOf(classes, idx, t.shape);
    },
  };
  if (final.predictProba !== undefined) out.predictProba = (X) => final.predictProba!(through(X));
  if (final.decisionFunction !== undefined) out.decisionFunction = (X) => final.decisionFunction!(through(X));
  return out;
}

function labelsOf(classes: NDArray, idx: Float64Array, shape: number[]): Tensor {
  const items = classes.items();
  for (const i of idx) {
    if (!(Number.isInteger(i) && i >= 0 && i < items.length)) throw new Error(`y contains previously unseen labels: [${i}]`);
  }
  return takeLabels(classes, idx, shape);
}

export const stacking: EstimatorFamily = {
  classes: qualified(['sklearn.ensemble._stacking'], ['StackingClassifier', 'StackingRegressor']),
  parts: BUNCH,
  build: buildStacking,
};
