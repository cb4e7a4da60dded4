/**
 * `set_output(transform="pandas")`: a transformer so configured returns a DataFrame whose
 * columns are its output feature names, so the next step's feature-name check sees them.
 */
import { PyDict, asSequence, isNone, type PyObject } from '../../../src/pickle/index.js';

/**
 * A one-to-one transformer's output column names (`get_feature_names_out`: the fitted input
 * names, else x0, x1, ...) when it outputs pandas; null (an ndarray) otherwise.
 */
export function pandasOutputNames(obj: PyObject, nColumns: number): readonly string[] | null {
  const config = obj.get('_sklearn_output_config');
  if (!(config instanceof PyDict) || config.get('transform') !== 'pandas') return null;
  const fitted = obj.get('feature_names_in_');
  if (!isNone(fitted)) return asSequence(fitted, `${obj.name}.feature_names_in_`).map(String);
  return Array.from({ length: nColumns }, (_, j) => `x${j}`);
}
