/** Whether a transformer was set to `set_output(transform="pandas")`: its output is then a DataFrame named by get_feature_names_out. */
import { PyDict, type PyObject } from '../../../src/pickle/index.js';

export function isPandasOutput(obj: PyObject): boolean {
  const config = obj.get('_sklearn_output_config');
  return config instanceof PyDict && config.get('transform') === 'pandas';
}
