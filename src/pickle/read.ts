/**
 * Typed reads of unpickled values. Each accessor names what it expected and what it found, so a
 * model whose state is not what flowgate knows fails at load with a message a user can act on.
 */
import { DType, NDArray, NumpyScalar, PyDict, PyGlobal, PyObject, PySet, PyTuple, type PyValue } from './types.js';

/** A short Python-ish description of a value, for error messages. */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySet) return 'set';
  if (v instanceof NDArray) return `ndarray(${v.dtype.name}, shape (${v.shape.join(', ')}))`;
  if (v instanceof NumpyScalar) return `numpy ${v.dtype.name} scalar`;
  if (v instanceof DType) return 'numpy dtype';
  if (v instanceof PyGlobal) return v.qualifiedName;
  return (v as PyObject).className;
}

function fail(what: string, expected: string, v: PyValue | undefined): never {
  throw new TypeError(`${what}: expected ${expected}, found ${describe(v)}`);
}

export function isNone(v: PyValue | undefined): v is null | undefined {
  return v === null || v === undefined;
}

/** A Python or numpy number (bools count as 0/1, as in Python). */
export function asNumber(v: PyValue | undefined, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof NumpyScalar && (typeof v.value === 'number' || typeof v.value === 'boolean')) return Number(v.value);
  if (v instanceof NDArray && v.size === 1 && v.data instanceof Float64Array) return v.data[0]!;
  return fail(what, 'a number', v);
}

export function asInt(v: PyValue | undefined, what: string): number {
  const n = asNumber(v, what);
  if (!Number.isInteger(n)) fail(what, 'an integer', v);
  return n;
}

export function asString(v: PyValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof NumpyScalar && typeof v.value === 'string') return v.value;
  return fail(what, 'a str', v);
}

export function asBool(v: PyValue | undefined, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v instanceof NumpyScalar && typeof v.value === 'boolean') return v.value;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  return fail(what, 'a bool', v);
}

export function asArray(v: PyValue | undefined, what: string): NDArray {
  if (v instanceof NDArray) return v;
  return fail(what, 'a numpy array', v);
}

/** Numbers from a numeric array, a list/tuple of numbers, or a single number (as numpy's asarray would). */
export function asNumbers(v: PyValue | undefined, what: string): Float64Array {
  if (v instanceof NDArray) {
    if (v.data instanceof Float64Array) return v.data;
    if (v.dtype.kind === 'O') return Float64Array.from(v.data as PyValue[], (x) => asNumber(x, what));
    return fail(what, 'a numeric array', v);
  }
  if (Array.isArray(v) || v instanceof PyTuple) return Float64Array.from(asSequence(v, what), (x) => asNumber(x, what));
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof NumpyScalar) {
    return Float64Array.of(asNumber(v, what));
  }
  return fail(what, 'numbers', v);
}

/** The items of a list, tuple, or 1-D array (a numpy object array of estimators, say). */
export function asSequence(v: PyValue | undefined, what: string): readonly PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  if (v instanceof NDArray && !(v.data instanceof Map)) return v.items();
  return fail(what, 'a list', v);
}

export function asDict(v: PyValue | undefined, what: string): PyDict {
  if (v instanceof PyDict) return v;
  return fail(what, 'a dict', v);
}

export function asObject(v: PyValue | undefined, what: string): PyObject {
  if (v instanceof PyObject) return v;
  return fail(what, 'an object', v);
}

/**
 * The fitted attributes of one unpickled instance, read by name:
 * `const a = attributes(obj); a.array('coef_')` fails with "LogisticRegression.coef_ is missing".
 */
export class Attributes {
  constructor(readonly obj: PyObject) {}

  private what(name: string): string {
    return `${this.obj.name}.${name}`;
  }

  has(name: string): boolean {
    return this.obj.get(name) !== undefined;
  }

  /** The raw value, or undefined when absent. */
  raw(name: string): PyValue | undefined {
    return this.obj.get(name);
  }

  /** The raw value; absent is an error (the estimator is not fitted, or is from an unknown version). */
  required(name: string): PyValue {
    const v = this.obj.get(name);
    if (v === undefined) throw new TypeError(`${this.what(name)} is missing (is the estimator fitted?)`);
    return v;
  }

  number(name: string): number {
    return asNumber(this.required(name), this.what(name));
  }

  int(name: string): number {
    return asInt(this.required(name), this.what(name));
  }

  string(name: string): string {
    return asString(this.required(name), this.what(name));
  }

  bool(name: string): boolean {
    return asBool(this.required(name), this.what(name));
  }

  array(name: string): NDArray {
    return asArray(this.required(name), this.what(name));
  }

  numbers(name: string): Float64Array {
    return asNumbers(this.required(name), this.what(name));
  }

  sequence(name: string): readonly PyValue[] {
    return asSequence(this.required(name), this.what(name));
  }

  object(name: string): PyObject {
    return asObject(this.required(name), this.what(name));
  }

  dict(name: string): PyDict {
    return asDict(this.required(name), this.what(name));
  }
}

export function attributes(obj: PyObject): Attributes {
  return new Attributes(obj);
}
