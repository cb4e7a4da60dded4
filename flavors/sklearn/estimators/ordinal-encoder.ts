/**
 * OrdinalEncoder (sklearn.preprocessing): each value's category index in the output dtype;
 * handle_unknown='use_encoded_value' writes `unknown_value`, the None/NaN category reads as
 * `encoded_missing_value`, and infrequent categories (scikit-learn >= 1.3) share one code.
 */
import { Attributes, asNumber, isNone, type PyObject } from '../../../src/pickle/index.js';
import type { Estimator, EstimatorFamily } from '../estimator.js';
import type { Table } from '../table.js';
import { encodeColumns, encoderStateOf, inputFeatureNames, missingIndices, type HandleUnknown } from './category-encoding.js';
import { outputDType } from './output-dtype.js';
import { isPandasOutput } from './pandas-output.js';

function buildOrdinalEncoder(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const state = encoderStateOf(obj);
  const handleUnknown = a.string('handle_unknown') as HandleUnknown;
  if (handleUnknown !== 'error' && handleUnknown !== 'use_encoded_value') {
    throw new TypeError(`OrdinalEncoder with handle_unknown='${handleUnknown}' is not supported`);
  }
  const unknownValue = handleUnknown === 'use_encoded_value' ? asNumber(isNone(a.raw('unknown_value')) ? NaN : a.raw('unknown_value'), 'OrdinalEncoder.unknown_value') : NaN;
  const missing = missingIndices(obj);
  const encodedMissing = a.has('encoded_missing_value') ? asNumber(a.raw('encoded_missing_value') ?? NaN, 'OrdinalEncoder.encoded_missing_value') : NaN;
  const dtype = outputDType(a.raw('dtype'), 'OrdinalEncoder');
  const names = isPandasOutput(obj) ? inputFeatureNames(state) : null;

  return {
    name: obj.name,
    transform(X: Table): Table {
      const { codes, known } = encodeColumns(state, X, handleUnknown, missing);
      const columns = codes.map((c, f) => {
        const out = Float64Array.from(c);
        const m = missing.get(f);
        if (m !== undefined) for (let i = 0; i < X.rows; i++) if (c[i] === m) out[i] = encodedMissing;
        if (handleUnknown === 'use_encoded_value') for (let i = 0; i < X.rows; i++) if (known[f]![i] === 0) out[i] = unknownValue;
        return { dtype, values: dtype === 'float32' ? out.map(Math.fround) : out };
      });
      return { rows: X.rows, names, columns };
    },
  };
}

export const ordinalEncoder: EstimatorFamily = {
  classes: ['sklearn.preprocessing._encoders.OrdinalEncoder'],
  build: buildOrdinalEncoder,
};
