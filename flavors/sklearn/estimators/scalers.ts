/**
 * MinMaxScaler, RobustScaler and MaxAbsScaler (sklearn.preprocessing): element-wise affine
 * maps with the fitted vectors, NaN passing through, in numpy's in-place order (`X *= scale_;
 * X += min_`, `X -= center_; X /= scale_`, `X /= scale_`). Float32 input stays float32, each
 * step rounded, as numpy's in-place ops on a float32 array do.
 */
import { Attributes, isNone, type PyObject } from '../../../src/pickle/index.js';
import { qualified, type Estimator, type EstimatorFamily } from '../estimator.js';
import { type FeatureCheck, featureCheckOf, numericFeatures } from '../features.js';
import { isFloat32Table, numericTable, type Table } from '../table.js';
import { pandasOutputNames } from './output-config.js';

type Step = { op: 'mul' | 'add' | 'sub' | 'div'; by: Float64Array } | { op: 'clip'; low: number; high: number };

function stepsOf(obj: PyObject): Step[] {
  const a = new Attributes(obj);
  const vector = (name: string): Float64Array | null => (isNone(a.raw(name)) ? null : a.numbers(name));
  switch (obj.name) {
    case 'MinMaxScaler': {
      const steps: Step[] = [{ op: 'mul', by: a.numbers('scale_') }, { op: 'add', by: a.numbers('min_') }];
      if (a.raw('clip') === true) {
        const [low, high] = a.sequence('feature_range').map(Number) as [number, number];
        steps.push({ op: 'clip', low, high });
      }
      return steps;
    }
    case 'RobustScaler': {
      const steps: Step[] = [];
      const center = a.raw('with_centering') === false ? null : vector('center_');
      const scale = a.raw('with_scaling') === false ? null : vector('scale_');
      if (center !== null) steps.push({ op: 'sub', by: center });
      if (scale !== null) steps.push({ op: 'div', by: scale });
      return steps;
    }
    default:
      return [{ op: 'div', by: a.numbers('scale_') }];
  }
}

/** The way back (inverse_transform): the steps reversed, each undone; clipping is not undone. */
function inverseSteps(steps: readonly Step[]): Step[] {
  const undo = { mul: 'div', div: 'mul', add: 'sub', sub: 'add' } as const;
  return steps.flatMap((s): Step[] => (s.op === 'clip' ? [] : [{ op: undo[s.op], by: s.by }])).reverse();
}

function applySteps(obj: PyObject, steps: readonly Step[], X: Table, check: FeatureCheck, names: readonly string[] | null | undefined): Table {
  const float32 = isFloat32Table(X);
  const round = float32 ? Math.fround : (v: number) => v;
  const columns = numericFeatures(X, check, { allowNaN: true }).map((col, j) => {
    const out = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) {
      let v = col[i]!;
      for (const s of steps) {
        if (s.op === 'clip') v = Math.min(Math.max(v, round(s.low)), round(s.high));
        else if (s.op === 'mul') v = round(v * s.by[j]!);
        else if (s.op === 'add') v = round(v + s.by[j]!);
        else if (s.op === 'sub') v = round(v - s.by[j]!);
        else v = round(v / s.by[j]!);
      }
      out[i] = v;
    }
    return out;
  });
  return numericTable(columns, X.rows, float32 ? 'float32' : 'float64', names === undefined ? pandasOutputNames(obj, columns.length) : names);
}

function buildScaler(obj: PyObject): Estimator {
  const steps = stepsOf(obj);
  const back = inverseSteps(steps);
  const check = featureCheckOf(obj);
  // inverse_transform checks the array only (no feature names)
  const inverseCheck: FeatureCheck = { ...check, featureNames: null };
  return {
    name: obj.name,
    transform: (X: Table): Table => applySteps(obj, steps, X, check, undefined),
    inverseTransform: (X: Table): Table => applySteps(obj, back, X, inverseCheck, null),
  };
}

export const scalers: EstimatorFamily = {
  classes: qualified(['sklearn.preprocessing._data', 'sklearn.preprocessing.data'], ['MinMaxScaler', 'RobustScaler', 'MaxAbsScaler']),
  build: buildScaler,
};
