/**
 * The globals every pickle may name (numpy, builtins containers, copyreg), and what each becomes.
 * A flavor adds its own classes through UnpickleOptions; anything else is refused by name.
 * Nothing here runs Python: each entry is a small TypeScript function building plain data.
 */
import { PickleError } from './errors.js';
import { arrayFromBuffer, dtypeFromTypestr, emptyArray, numpyScalar } from './numpy.js';
import { PyDict, PyGlobal, PyObject, PySet, PyTuple, type PyValue } from './types.js';

export interface CallContext {
  /** Makes an instance of an allow-listed class (what NEWOBJ does), or refuses. */
  instantiate(cls: PyValue, args: readonly PyValue[], kwargs: PyDict | null): PyValue;
}

export type Reconstructor = (args: readonly PyValue[], kwargs: PyDict | null, ctx: CallContext) => PyValue;

/** Python 2 module names that protocol 0–2 pickles written by Python 3 still use (pickle's fix_imports). */
const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg', commands: 'subprocess' };

export function canonicalModule(module: string): string {
  return PY2_MODULES[module] ?? module;
}

/**
 * numpy ufuncs a pickle may name as values (FunctionTransformer(np.log1p), a target transform):
 * element-wise maths a flavor can compute itself. Referenced, never called by the unpickler.
 */
export const NUMPY_UFUNCS: readonly string[] = [
  'log', 'log1p', 'log2', 'log10', 'exp', 'expm1', 'exp2', 'sqrt', 'cbrt', 'square', 'absolute', 'fabs', 'negative',
  'positive', 'sign', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh',
  'arctanh', 'deg2rad', 'rad2deg', 'degrees', 'radians',
];

/** Where pickle (numpy) and cloudpickle (the defining C module) say a numpy ufunc lives. */
export const NUMPY_UFUNC_MODULES: readonly string[] = [
  'numpy', 'numpy.core._multiarray_umath', 'numpy._core._multiarray_umath', 'numpy.core.umath', 'numpy._core.umath',
];

/** Globals that may appear as values (a `dtype=np.float64` parameter, copyreg's `object`), never be called. */
export const VALUE_ONLY: ReadonlySet<string> = new Set([
  ...NUMPY_UFUNC_MODULES.flatMap((m) => NUMPY_UFUNCS.map((u) => `${m}.${u}`)),
  'numpy.ndarray',
  ...['bool_', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'intc', 'intp', 'uintp',
    'longlong', 'ulonglong', 'float16', 'float32', 'float64', 'half', 'single', 'double', 'longdouble', 'object_',
    'str_', 'bytes_', 'number', 'integer', 'signedinteger', 'unsignedinteger', 'floating', 'generic'].map((t) => `numpy.${t}`),
  ...['object', 'int', 'float', 'str', 'bool', 'bytes', 'list', 'dict', 'tuple', 'set', 'frozenset'].map((t) => `builtins.${t}`),
]);

function arg(args: readonly PyValue[], i: number, what: string): PyValue {
  if (i >= args.length) throw new PickleError(`${what} is missing argument ${i + 1}`);
  return args[i]!;
}

function items(value: PyValue | undefined, what: string): readonly PyValue[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple || value instanceof PySet) return value.items;
  throw new PickleError(`${what} expects a sequence`);
}

function toDict(pairs: PyValue | undefined, what: string): PyDict {
  const dict = new PyDict();
  if (pairs instanceof PyDict) {
    for (const [k, v] of pairs.entries()) dict.set(k, v);
    return dict;
  }
  for (const pair of items(pairs, what)) {
    const kv = items(pair, what);
    if (kv.length !== 2) throw new PickleError(`${what} expects (key, value) pairs`);
    dict.set(kv[0]!, kv[1]!);
  }
  return dict;
}

function latin1Encode(text: PyValue, encoding: PyValue, what: string): Uint8Array {
  if (typeof text !== 'string') throw new PickleError(`${what} expects text`);
  if (typeof encoding !== 'string' || !['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1'].includes(encoding.toLowerCase())) {
    throw new PickleError(`${what} with encoding ${String(encoding)} is not supported (only latin-1, as pickle writes)`);
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new PickleError(`${what}: text is not latin-1`);
    out[i] = c;
  }
  return out;
}

function byteArray(args: readonly PyValue[]): Uint8Array {
  if (args.length === 0) return new Uint8Array(0);
  const [source, encoding] = args;
  if (source instanceof Uint8Array) return source.slice();
  if (typeof source === 'string') return latin1Encode(source, encoding ?? null, 'bytearray');
  if (Array.isArray(source) && source.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b < 256)) {
    return Uint8Array.from(source as number[]);
  }
  throw new PickleError('bytearray expects bytes');
}

/** An opaque instance (numpy random states and bit generators): kept as data, never used to compute. */
const opaque = (name: string): Reconstructor => (args, kwargs) => new PyObject(name, args, kwargs);

const NUMPY_RANDOM = [
  'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random._pickle.__generator_ctor',
  'numpy.random.__RandomState_ctor',
  'numpy.random.mtrand.__RandomState_ctor',
  'numpy.random.mtrand.RandomState',
  'numpy.random._generator.Generator',
  'numpy.random._mt19937.MT19937',
  'numpy.random._pcg64.PCG64',
  'numpy.random._pcg64.PCG64DXSM',
  'numpy.random._philox.Philox',
  'numpy.random._sfc64.SFC64',
  'numpy.random.bit_generator.SeedSequence',
  'numpy.random.bit_generator.__pyx_unpickle_SeedSequence',
];

/** Callables a pickle may REDUCE, with what each builds. */
export const CALLABLES: ReadonlyMap<string, Reconstructor> = new Map<string, Reconstructor>([
  ...['numpy.core.multiarray', 'numpy._core.multiarray'].flatMap((m): [string, Reconstructor][] => [
    [`${m}._reconstruct`, () => emptyArray()],
    [`${m}.scalar`, (a) => numpyScalar(arg(a, 0, 'numpy scalar'), a[1] ?? null)],
  ]),
  ...['numpy.core.numeric', 'numpy._core.numeric'].map((m): [string, Reconstructor] => [
    `${m}._frombuffer`,
    (a) => arrayFromBuffer(arg(a, 0, '_frombuffer'), arg(a, 1, '_frombuffer'), arg(a, 2, '_frombuffer'), a[3] ?? 'C'),
  ]),
  ['numpy.dtype', (a) => dtypeFromTypestr(arg(a, 0, 'numpy.dtype'))],
  // numpy < 1.21 pickled a ufunc as _ufunc_reconstruct('numpy', name): the same reference, allow-listed names only
  ...['numpy.core', 'numpy._core'].map((m): [string, Reconstructor] => [`${m}._ufunc_reconstruct`, (a) => {
    const [module, name] = [arg(a, 0, '_ufunc_reconstruct'), arg(a, 1, '_ufunc_reconstruct')];
    if (module !== 'numpy' || typeof name !== 'string' || !NUMPY_UFUNCS.includes(name)) {
      throw new PickleError(`pickle refers to the numpy ufunc ${String(module)}.${String(name)}, which flowgate never loads (not an allow-listed ufunc)`);
    }
    return new PyGlobal('numpy', name);
  }]),
  ...NUMPY_RANDOM.map((name): [string, Reconstructor] => [name, opaque(name)]),
  ['copyreg._reconstructor', (a, _kw, ctx) => ctx.instantiate(arg(a, 0, 'copyreg._reconstructor'), [], null)],
  ['copyreg.__newobj__', (a, _kw, ctx) => ctx.instantiate(arg(a, 0, 'copyreg.__newobj__'), a.slice(1), null)],
  ['copyreg.__newobj_ex__', (a, _kw, ctx) => {
    const kwargs = a[2];
    return ctx.instantiate(arg(a, 0, 'copyreg.__newobj_ex__'), items(a[1], 'copyreg.__newobj_ex__'), kwargs instanceof PyDict ? kwargs : null);
  }],
  ['builtins.set', (a) => new PySet([...items(a[0], 'set')])],
  ['builtins.frozenset', (a) => new PySet([...items(a[0], 'frozenset')])],
  ['builtins.bytearray', (a) => byteArray(a)],
  ['builtins.bytes', (a) => (a.length === 0 ? new Uint8Array(0) : byteArray(a))],
  ['builtins.slice', (a) => new PyObject('builtins.slice', a)],
  ['_codecs.encode', (a) => latin1Encode(arg(a, 0, '_codecs.encode'), a[1] ?? 'utf-8', '_codecs.encode')],
  ['collections.OrderedDict', (a) => toDict(a[0], 'OrderedDict')],
  ['collections.defaultdict', (a) => toDict(a[1], 'defaultdict')],
]);

/** Globals whose instances become native containers rather than PyObjects when NEWOBJ makes them. */
export const CONTAINER_CLASSES: ReadonlyMap<string, () => PyValue> = new Map<string, () => PyValue>([
  ['collections.OrderedDict', () => new PyDict()],
  ['collections.defaultdict', () => new PyDict()],
  ['builtins.set', () => new PySet()],
  ['builtins.frozenset', () => new PySet()],
  ['builtins.dict', () => new PyDict()],
  ['builtins.list', () => []],
  ['builtins.object', () => new PyObject('builtins.object')],
]);
