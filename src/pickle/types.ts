/**
 * What the unpickler gives back: plain data, never live Python objects.
 *
 * Python value          → here
 * None / bool / str     → null / boolean / string
 * int                   → number (bigint when outside ±2^53)
 * float                 → number
 * bytes / bytearray     → Uint8Array
 * list                  → PyValue[] (a JS array; mutable while unpickling)
 * tuple                 → PyTuple
 * dict, OrderedDict, defaultdict → PyDict (insertion-ordered, Python key equality)
 * set / frozenset       → PySet
 * numpy.ndarray         → NDArray (always C order; numbers widened to float64)
 * numpy.dtype           → DType
 * numpy scalar          → NumpyScalar (keeps its dtype: np.int64(3) is not 3.0)
 * an allow-listed class referenced as a value (e.g. `dtype=np.float64`) → PyGlobal
 * an instance of an allow-listed class → PyObject { className, args, state }
 *
 * Estimator code reads fitted attributes with `obj.get('coef_')` and the accessors in read.ts.
 */

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyObject
  | PyGlobal
  | NDArray
  | DType
  | NumpyScalar;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
  get length(): number {
    return this.items.length;
  }
}

export class PySet {
  constructor(readonly items: PyValue[] = []) {}
}

/** A class or function referenced by name (module + qualified name), never called. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Hashable Python values as one string each, so that 1 == 1.0 == True and ('a', 1) are equal keys, as in Python. */
function keyOf(key: PyValue, depth = 0): string {
  if (depth > 64) throw new TypeError('dict key nested too deeply');
  if (typeof key === 'string') return `s${key}`;
  if (typeof key === 'number') return `n${key}`;
  if (typeof key === 'boolean') return key ? 'n1' : 'n0';
  if (typeof key === 'bigint') return `n${key}`;
  if (key === null) return 'N';
  if (key instanceof PyTuple) return `t(${key.items.map((k) => keyOf(k, depth + 1)).join(',')})`;
  if (key instanceof PyGlobal) return `g${key.qualifiedName}`;
  if (key instanceof Uint8Array) return `b${Buffer.from(key).toString('hex')}`;
  if (key instanceof NumpyScalar) return keyOf(key.value, depth + 1);
  throw new TypeError('unhashable dict key');
}

/** A Python dict: insertion-ordered, keys compared as Python does. */
export class PyDict {
  private readonly index = new Map<string, number>();
  private readonly keyList: PyValue[] = [];
  private readonly valueList: PyValue[] = [];

  get size(): number {
    return this.keyList.length;
  }

  set(key: PyValue, value: PyValue): void {
    const k = keyOf(key);
    const at = this.index.get(k);
    if (at === undefined) {
      this.index.set(k, this.keyList.length);
      this.keyList.push(key);
      this.valueList.push(value);
    } else {
      this.valueList[at] = value;
    }
  }

  get(key: PyValue): PyValue | undefined {
    const at = this.index.get(keyOf(key));
    return at === undefined ? undefined : this.valueList[at];
  }

  has(key: PyValue): boolean {
    return this.index.has(keyOf(key));
  }

  keys(): readonly PyValue[] {
    return this.keyList;
  }

  values(): readonly PyValue[] {
    return this.valueList;
  }

  *entries(): IterableIterator<[PyValue, PyValue]> {
    for (let i = 0; i < this.keyList.length; i++) yield [this.keyList[i]!, this.valueList[i]!];
  }
}

/**
 * An instance of an allow-listed class, as data: the class name, the constructor arguments the
 * pickle gave (NEWOBJ/REDUCE), and the state BUILD set (`__dict__`, or `(dict, slots)`).
 */
export class PyObject {
  /** What BUILD set; undefined when the pickle never called BUILD. */
  state: PyValue | undefined = undefined;
  /** Items appended to a list subclass (APPEND/APPENDS on the object). */
  readonly listItems: PyValue[] = [];
  /** Items set on a dict subclass (SETITEM/SETITEMS on the object). */
  readonly dictItems = new PyDict();

  constructor(
    /** module + qualified name, e.g. `sklearn.ensemble._forest.RandomForestClassifier` */
    readonly className: string,
    readonly args: readonly PyValue[] = [],
    readonly kwargs: PyDict | null = null,
  ) {}

  /** The short class name: `RandomForestClassifier`. */
  get name(): string {
    return this.className.slice(this.className.lastIndexOf('.') + 1);
  }

  /** An attribute from the instance state (`__dict__` entries first, then slots). */
  get(attribute: string): PyValue | undefined {
    const state = this.state;
    if (state instanceof PyDict) return state.get(attribute);
    if (state instanceof PyTuple && state.length === 2) {
      const [dict, slots] = state.items;
      const fromDict = dict instanceof PyDict ? dict.get(attribute) : undefined;
      if (fromDict !== undefined) return fromDict;
      return slots instanceof PyDict ? slots.get(attribute) : undefined;
    }
    return undefined;
  }

  has(attribute: string): boolean {
    return this.get(attribute) !== undefined;
  }
}

/** numpy dtype kinds flowgate reads: bool, signed/unsigned int, float, str, bytes, object, void (structured). */
export type DTypeKind = 'b' | 'i' | 'u' | 'f' | 'U' | 'S' | 'O' | 'V';

export interface DTypeField {
  readonly name: string;
  readonly dtype: DType;
  /** byte offset inside one element */
  readonly offset: number;
}

/** A numpy dtype. REDUCE creates it from a type string ('f8', 'V64'...); BUILD may then set byte order and fields. */
export class DType {
  constructor(
    public kind: DTypeKind,
    /** bytes per element (a 'U' string of n chars has 4n) */
    public itemsize: number,
    /** '<' little, '>' big, '|' not applicable */
    public byteOrder: '<' | '>' | '|',
    /** structured dtypes: the fields in order */
    public fields: readonly DTypeField[] | null = null,
    /** sub-array dtypes (a field like `('x', '<f8', (3,))`): element dtype and shape */
    public subarray: { readonly base: DType; readonly shape: readonly number[] } | null = null,
  ) {}

  get isNumeric(): boolean {
    return this.kind === 'b' || this.kind === 'i' || this.kind === 'u' || this.kind === 'f';
  }

  /** numpy's name: float64, int64, bool, str, bytes, object, void. */
  get name(): string {
    switch (this.kind) {
      case 'b': return 'bool';
      case 'i': return `int${this.itemsize * 8}`;
      case 'u': return `uint${this.itemsize * 8}`;
      case 'f': return `float${this.itemsize * 8}`;
      case 'U': return 'str';
      case 'S': return 'bytes';
      case 'O': return 'object';
      case 'V': return 'void';
    }
  }
}

/**
 * Elements of an NDArray by dtype kind:
 * b/i/u/f → Float64Array (int64 beyond 2^53 rounds, as everywhere in flowgate);
 * U → string[] (trailing NULs stripped, as numpy does); S → Uint8Array[]; O → PyValue[];
 * V (structured) → one NDArray per field, each of the array's shape (+ the field's sub-array shape).
 */
export type NDArrayData = Float64Array | string[] | Uint8Array[] | PyValue[] | ReadonlyMap<string, NDArray>;

/** A numpy array, always in C (row-major) order whatever order the pickle stored. */
export class NDArray {
  constructor(
    public dtype: DType,
    public shape: readonly number[],
    public data: NDArrayData,
  ) {}

  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The elements of a numeric (bool/int/float) array. */
  numbers(): Float64Array {
    if (!(this.data instanceof Float64Array)) throw new TypeError(`expected a numeric array, got dtype ${this.dtype.name}`);
    return this.data;
  }

  /** The elements of any non-structured array as values (numbers, strings, bytes or objects). */
  items(): readonly PyValue[] {
    if (this.data instanceof Map) throw new TypeError('a structured array has no plain items; read its fields');
    if (this.data instanceof Float64Array) {
      return this.dtype.kind === 'b' ? Array.from(this.data, (v) => v !== 0) : Array.from(this.data);
    }
    return this.data as readonly PyValue[];
  }

  /** One field of a structured array. */
  field(name: string): NDArray {
    const fields = this.data instanceof Map ? this.data : null;
    const f = fields?.get(name);
    if (f === undefined) throw new TypeError(`array has no field '${name}'`);
    return f;
  }

  hasField(name: string): boolean {
    return this.data instanceof Map && this.data.has(name);
  }
}

/** A numpy scalar (np.float64(1.5), np.int64(3), np.str_('a')...). */
export class NumpyScalar {
  constructor(
    readonly dtype: DType,
    /** number for numeric dtypes, string for 'U', Uint8Array for 'S', any value for 'O' */
    readonly value: PyValue,
  ) {}
}
