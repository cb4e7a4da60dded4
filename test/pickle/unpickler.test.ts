import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DType, NDArray, NumpyScalar, PickleError, PyDict, PyGlobal, PyObject, PySet, PyTuple, unpickle, type PyValue,
} from '../../src/pickle/index.js';
import { NO_GENERATED, generatedVersions, pk, stackGlobal, u64le } from './helpers.js';

/** A JSON-able canonical form of an unpickled value, to compare values across protocols. */
function canon(v: PyValue | undefined): unknown {
  if (v === undefined || v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'nan' : v;
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(canon);
  if (v instanceof PyTuple) return { tuple: v.items.map(canon) };
  if (v instanceof PySet) return { set: v.items.map(canon) };
  if (v instanceof PyDict) return { dict: [...v.entries()].map(([k, x]) => [canon(k), canon(x)]) };
  if (v instanceof PyGlobal) return { global: v.qualifiedName };
  if (v instanceof DType) return { dtype: v.name, order: v.byteOrder, fields: v.fields?.map((f) => [f.name, canon(f.dtype), f.offset]) ?? null };
  if (v instanceof NumpyScalar) return { scalar: canon(v.value), dtype: v.dtype.name };
  if (v instanceof NDArray) {
    const data = v.data instanceof Map ? Object.fromEntries([...v.data].map(([k, f]) => [k, canon(f)])) : v.items().map(canon);
    return { ndarray: v.dtype.name, shape: v.shape, data };
  }
  return { object: v.className, args: v.args.map(canon), state: canon(v.state), list: v.listItems.map(canon), dict: canon(v.dictItems) };
}

describe('unpickle: hand-built opcode streams', () => {
  it('keeps a leading U+FEFF in a str (a vocabulary term after a byte-order mark), as Python does', () => {
    // SHORT_BINUNICODE of '\ufeffa' (UTF-8 EF BB BF 61) and of 'a' in a list: two different strings
    const v = unpickle(pk([0x80, 4], ']', '(', [0x8c, 4, 0xef, 0xbb, 0xbf, 0x61], [0x8c, 1, 0x61], 'e.')) as PyValue[];
    expect(v).toEqual(['\ufeffa', 'a']);
  });

  it('reads protocol 0 text opcodes (INT, LONG, FLOAT, STRING, UNICODE, PUT/GET)', () => {
    const bytes = pk(
      '(lp0\n', 'I1\na', 'I01\na', 'I00\na', 'F1.5\na', 'Fnan\na', "S'ab\\n\\x41'\np1\na", 'Vx\\u00e9\\U0001f600\np2\na', 'g1\na',
      'L12345678901234567890L\na', 'L-3L\na', 'N', 'a.',
    );
    const v = unpickle(bytes) as PyValue[];
    expect(v.slice(0, 4)).toEqual([1, true, false, 1.5]);
    expect(Number.isNaN(v[4] as number)).toBe(true);
    expect(v.slice(5)).toEqual(['ab\nA', 'xé😀', 'ab\nA', 12345678901234567890n, -3, null]);
  });

  it('reads protocol 2 binary opcodes and keeps memo identity', () => {
    const bytes = pk(
      '\x80\x02', ']q\x00', '(', 'K\x07', 'J', [0xfe, 0xff, 0xff, 0xff], 'M', [0x00, 0x01], '\x8a\x01', [0xff], '\x8a\x09', [0, 0, 0, 0, 0, 0, 0, 0, 1],
      '\x88', '\x89', 'G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], ']q\x01', 'h\x01', 'e', '.',
    );
    const v = unpickle(bytes) as PyValue[];
    expect(v.slice(0, 7)).toEqual([7, -2, 256, -1, 2n ** 64n, true, false]);
    expect(v[7]).toBe(1.5);
    expect(v[8]).toBe(v[9]);
  });

  it('builds dicts, tuples, sets and frozensets with Python key equality', () => {
    const bytes = pk('\x80\x04', '}', '\x94', '(', 'K\x01', '\x8c\x01a', '\x88', '\x8c\x01b', 'K\x01', 'K\x02', '\x86', '\x8c\x01c', 'u',
      '\x8c\x01s', '\x8f', '(', 'K\x05', '\x90', 's', '\x8c\x01f', '(', 'K\x06', '\x91', 's', '.');
    const d = unpickle(bytes) as PyDict;
    expect(d.get(1)).toBe('b'); // True and 1 are the same key, as in Python: the later value wins
    expect(d.get(true)).toBe('b');
    expect(d.get(new PyTuple([1, 2]))).toBe('c');
    expect((d.get('s') as PySet).items).toEqual([5]);
    expect((d.get('f') as PySet).items).toEqual([6]);
  });

  it('rebuilds allow-listed classes with NEWOBJ and BUILD, and refuses others by name', () => {
    const bytes = pk('\x80\x04', stackGlobal('pkg.mod', 'Thing'), ')', '\x81', '}', '(', '\x8c\x01x', 'K\x03', 'u', 'b', '.');
    const obj = unpickle(bytes, { allowClass: (n) => n === 'pkg.mod.Thing' }) as PyObject;
    expect(obj).toBeInstanceOf(PyObject);
    expect(obj.className).toBe('pkg.mod.Thing');
    expect(obj.name).toBe('Thing');
    expect(obj.get('x')).toBe(3);
    expect(() => unpickle(bytes)).toThrow('pickle refers to pkg.mod.Thing, which flowgate never loads (not an allow-listed class)');
    expect(() => unpickle(bytes, { refusal: (n) => `no ${n} here` })).toThrow('no pkg.mod.Thing here');
  });

  it('reads the Python 2 module names protocol 0-2 pickles use (copy_reg, __builtin__)', () => {
    const bytes = pk('ccopy_reg\n_reconstructor\n', '(', 'cpkg\nThing\n', 'c__builtin__\nobject\n', 'N', 't', 'R', '(dp0\nVk\nI5\nsb.');
    const obj = unpickle(bytes, { allowClass: (n) => n === 'pkg.Thing' }) as PyObject;
    expect(obj.className).toBe('pkg.Thing');
    expect(obj.get('k')).toBe(5);
  });

  it('fails cleanly on truncated input, unknown opcodes and unsupported protocols', () => {
    expect(() => unpickle(pk('\x80\x04', ']'))).toThrow(/no STOP opcode/);
    expect(() => unpickle(pk('\x80\x04', 'B', [9, 0, 0, 0], 'ab'))).toThrow(/truncated/);
    expect(() => unpickle(pk('\x80\x04', '\xff'))).toThrow(/unknown opcode 0xff/);
    expect(() => unpickle(pk('\x80\x06', 'N.'))).toThrow(/protocol 6 is not supported/);
    expect(() => unpickle(pk('\x80\x04', 'h\x05', '.'))).toThrow(/memo entry 5/);
    expect(() => unpickle(pk('\x80\x04', '\x8e', u64le(1n << 60n), '.'))).toThrow(PickleError);
  });
});

const versions = generatedVersions();

describe.skipIf(versions.length === 0)('unpickle: numpy values written by numpy 1 and numpy 2', () => {
  if (versions.length === 0) it.skip(NO_GENERATED, () => {});

  function expectedValue(x: unknown): unknown {
    if (x === 'nan') return NaN;
    if (x === 'inf') return Infinity;
    if (x === '-inf') return -Infinity;
    if (x === '-0') return -0;
    if (typeof x === 'object' && x !== null && 'bytes' in x) return Uint8Array.from((x as { bytes: number[] }).bytes);
    return x;
  }

  interface Expected { dtype?: string; shape: number[]; values?: unknown[]; scalar?: boolean; fields?: Record<string, Expected> }

  function checkArray(a: NDArray, e: Expected, where: string): void {
    expect(a.shape, where).toEqual(e.shape);
    if (e.fields) {
      for (const [name, fe] of Object.entries(e.fields)) checkArray(a.field(name), fe, `${where}.${name}`);
      return;
    }
    checkDType(a.dtype, e.dtype!, where);
    expect(a.items(), where).toEqual(e.values!.map(expectedValue));
  }

  function checkDType(d: DType, s: string, where: string): void {
    const m = /^([<>|=])([a-zA-Z])(\d*)$/.exec(s)!;
    const kind = m[2];
    expect(d.kind, where).toBe(kind);
    expect(d.itemsize, where).toBe(kind === 'U' ? 4 * Number(m[3]) : kind === 'O' ? 8 : Number(m[3]));
    if (m[1] === '<' || m[1] === '>') expect(d.byteOrder, where).toBe(m[1]);
  }

  for (const dir of versions) {
    const version = dir.split('/').pop()!;
    const expected = JSON.parse(readFileSync(join(dir, 'arrays.json'), 'utf8')) as Record<string, Expected>;

    it(`${version}: every sample, every protocol 0-5 and cloudpickle, decodes to numpy's values`, () => {
      let checked = 0;
      for (const [name, e] of Object.entries(expected)) {
        const files = [0, 1, 2, 3, 4, 5].map((p) => `${name}.p${p}.pkl`).concat(`${name}.cloudpickle.pkl`);
        for (const file of files) {
          const path = join(dir, 'arrays', file);
          if (!existsSync(path)) continue;
          const v = unpickle(readFileSync(path));
          const where = `${version}/${file}`;
          if (e.scalar) {
            expect(v, where).toBeInstanceOf(NumpyScalar);
            const s = v as NumpyScalar;
            checkDType(s.dtype, e.dtype!, where);
            expect(s.value, where).toEqual(expectedValue(e.values![0]));
          } else {
            expect(v, where).toBeInstanceOf(NDArray);
            checkArray(v as NDArray, e, where);
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(150);
    });

    it(`${version}: a structured dtype keeps its fields and offsets`, () => {
      const d = unpickle(readFileSync(join(dir, 'arrays', 'dtype_structured.p4.pkl'))) as DType;
      expect(d.kind).toBe('V');
      expect(d.itemsize).toBe(16);
      expect(d.fields!.map((f) => [f.name, f.dtype.name, f.offset])).toEqual([['left', 'int64', 0], ['thr', 'float64', 8]]);
    });

    it(`${version}: protocol 5 out-of-band buffers are read when given, refused when missing`, () => {
      const bytes = readFileSync(join(dir, 'arrays', 'out_of_band.pkl'));
      const buffers = [0, 1].map((i) => new Uint8Array(readFileSync(join(dir, 'arrays', `out_of_band.buf${i}`))));
      const v = unpickle(bytes, { buffers }) as PyDict;
      const a = v.get('a') as NDArray;
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.numbers())).toEqual([0, 1, 2, 3, 4, 5]);
      expect(Array.from((v.get('b') as NDArray).numbers())).toEqual([1, 2]);
      expect(() => unpickle(bytes)).toThrow(/out-of-band buffer that was not given/);
    });

    it(`${version}: plain containers read the same in every protocol`, () => {
      const forms = [0, 1, 2, 3, 4, 5].map((p) => unpickle(readFileSync(join(dir, 'arrays', `mixed.p${p}.pkl`))) as PyDict);
      const first = forms[0]!;
      expect(first.get('ints')).toEqual([0, 1, -1, 255, 256, 65535, 65536, 2 ** 31 - 1, -(2 ** 31), 2n ** 63n, -(2n ** 70n)]);
      expect(first.get('text')).toEqual(['', 'é', '✓', 'a\nb']);
      expect(first.get('bytes')).toEqual(Uint8Array.of(0, 255));
      expect(first.get('bytearray')).toEqual(Uint8Array.of(97, 98));
      expect(first.get(new PyTuple([1, 't']))).toBe('tuple key');
      expect(first.get(3)).toBe('int key');
      expect(first.get('none')).toBe(null);
      for (const other of forms.slice(1)) expect(canon(other)).toEqual(canon(first));
    });

    const cases = (JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: { name: string; protocols?: Record<string, string> }[] }).cases;
    const allowClass = (n: string): boolean => n.startsWith('sklearn.');
    for (const c of cases.filter((x) => x.protocols)) {
      it(`${version}: model ${c.name} reads identically from pickle protocols 0-5`, () => {
        const forms = Object.values(c.protocols!).map((f) => canon(unpickle(readFileSync(join(dir, f)), { allowClass })));
        expect(forms).toHaveLength(6);
        for (const f of forms.slice(1)) expect(f).toEqual(forms[0]);
      });
    }
  }
});
