/**
 * Which classes the sklearn flavor loads, and how each becomes an Estimator. The unpickler
 * admits exactly the classes the estimator families declare (plus numpy/builtins); any other
 * class stops the load, naming itself and what is supported.
 */
import { PyObject, type PyValue } from '../../src/pickle/index.js';
import type { BuildContext, Estimator, EstimatorFamily } from './estimator.js';

const LIBRARIES = ['sklearn.', 'lightgbm.', 'xgboost.', 'imblearn.', 'catboost.'];

/** What still serves a model flowgate's sklearn flavor refuses. */
export const ALTERNATIVES =
  'to serve it, export it with skl2onnx (or onnxmltools) and log it with the ONNX flavor, or run it in Python with `flowgate serve --runtime python`';

/** A refusal of a model's content, with the ways it can still be served. */
export function withAlternatives(message: string): string {
  return `${message}; ${ALTERNATIVES}`;
}

export class Registry implements BuildContext {
  private readonly byClass = new Map<string, EstimatorFamily>();
  private readonly parts = new Set<string>();
  /** Short names of the estimators, for messages. */
  readonly supported: string;

  constructor(families: readonly EstimatorFamily[]) {
    for (const family of families) {
      for (const name of family.classes) this.byClass.set(name, family);
      for (const name of family.parts ?? []) this.parts.add(name);
    }
    const short = new Set([...this.byClass.keys()].map((n) => n.slice(n.lastIndexOf('.') + 1)));
    this.supported = [...short].sort().join(', ');
  }

  /** May the unpickler rebuild this class? */
  allowClass(name: string): boolean {
    return this.byClass.has(name) || this.parts.has(name);
  }

  /** The refusal for a class the unpickler met but may not rebuild; undefined = the generic refusal. */
  refusal(name: string): string | undefined {
    if (name.startsWith('joblib.')) {
      return `model file was written by joblib.dump (it refers to ${name}); flowgate reads pickle and cloudpickle files as mlflow.sklearn writes them`;
    }
    if (LIBRARIES.some((prefix) => name.startsWith(prefix))) return withAlternatives(`class ${name} is not supported (supported: ${this.supported})`);
    if (name.startsWith('numpy.')) return withAlternatives(`pickle refers to ${name}, which flowgate never loads (numpy functions other than element-wise ufuncs such as np.log1p are Python code to flowgate)`);
    if (name.startsWith('cloudpickle.')) return withAlternatives(`pickle holds Python code (${name}: a lambda or a function cloudpickle saved by value), which flowgate never runs`);
    return undefined;
  }

  build(value: PyValue | undefined, what: string): Estimator {
    if (!(value instanceof PyObject)) {
      throw new TypeError(`${what} is not an estimator (found ${value === null ? 'None' : typeof value === 'string' ? `'${value}'` : typeof value})`);
    }
    const family = this.byClass.get(value.className);
    if (family === undefined) throw new TypeError(`class ${value.className} is not supported as an estimator (supported: ${this.supported})`);
    return family.build(value, this);
  }
}
