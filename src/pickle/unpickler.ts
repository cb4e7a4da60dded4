/**
 * A pickle reader that never runs code. It walks the opcode stream like CPython's Unpickler,
 * but every GLOBAL must be an allow-listed name, and "calling" one (REDUCE, NEWOBJ, INST, OBJ,
 * BUILD) runs a small TypeScript function that builds plain data (see types.ts), never Python.
 */
import { PickleError } from './errors.js';
import { CALLABLES, CONTAINER_CLASSES, VALUE_ONLY, canonicalModule, type CallContext } from './globals.js';
import { checkShape } from './limits.js';
import { setArrayState, setDTypeState } from './numpy.js';
import { HIGHEST_PROTOCOL, OP } from './opcodes.js';
import { ByteReader } from './reader.js';
import { intValue, parseFloatText, parseInt10, parseQuotedString, parseRawUnicodeEscape } from './text.js';
import { DType, NDArray, PyDict, PyGlobal, PyObject, PySet, PyTuple, type PyValue } from './types.js';

export interface UnpickleOptions {
  /** Classes beyond numpy and builtins that may be rebuilt as PyObjects (a flavor's estimators and their parts). */
  allowClass?: (qualifiedName: string) => boolean;
  /** The message refusing a global that is not allowed; undefined gives the generic refusal. */
  refusal?: (qualifiedName: string) => string | undefined;
  /** Protocol 5 out-of-band buffers, in the order the pickle asks for them. */
  buffers?: readonly Uint8Array[];
  /** Deepest nesting of values (and of MARKs) accepted. */
  maxDepth?: number;
  /** Most memo entries accepted. */
  maxMemo?: number;
}

export const DEFAULT_MAX_DEPTH = 200;
export const DEFAULT_MAX_MEMO = 1 << 24;

export function refusalMessage(qualifiedName: string): string {
  return `pickle refers to ${qualifiedName}, which flowgate never loads (not an allow-listed class)`;
}

/** Reads one pickle (the first STOP ends it) into plain data. Throws PickleError for anything it will not load. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): PyValue {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const result = new Unpickler(bytes, options).run();
  checkShape(result, maxDepth);
  return result;
}

class Unpickler implements CallContext {
  private readonly reader: ByteReader;
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private proto = 0;
  private nextBuffer = 0;
  private readonly maxDepth: number;
  private readonly maxMemo: number;

  constructor(bytes: Uint8Array, private readonly options: UnpickleOptions) {
    this.reader = new ByteReader(bytes);
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxMemo = options.maxMemo ?? DEFAULT_MAX_MEMO;
  }

  run(): PyValue {
    const r = this.reader;
    for (;;) {
      const at = r.pos;
      if (r.atEnd) throw new PickleError('pickle is truncated: no STOP opcode');
      const op = r.u8();
      switch (op) {
        case OP.PROTO: {
          const v = r.u8();
          if (v > HIGHEST_PROTOCOL) throw new PickleError(`pickle protocol ${v} is not supported (0–${HIGHEST_PROTOCOL} are)`);
          this.proto = v;
          break;
        }
        case OP.FRAME:
          r.u64();
          break;
        case OP.STOP:
          return this.pop();
        case OP.MARK:
          if (this.marks.length >= this.maxDepth) throw new PickleError(`pickle nests MARKs more than ${this.maxDepth} deep, which flowgate does not load`);
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case OP.POP:
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top());
          break;

        case OP.NONE: this.push(null); break;
        case OP.NEWTRUE: this.push(true); break;
        case OP.NEWFALSE: this.push(false); break;
        case OP.INT: {
          const line = r.line();
          this.push(line === '01' ? true : line === '00' ? false : parseInt10(line));
          break;
        }
        case OP.BININT: this.push(r.i32()); break;
        case OP.BININT1: this.push(r.u8()); break;
        case OP.BININT2: this.push(r.u16()); break;
        case OP.LONG: this.push(parseInt10(r.line().replace(/L$/, ''))); break;
        case OP.LONG1: this.push(this.readLong(r.u8())); break;
        case OP.LONG4: {
          const n = r.i32();
          if (n < 0) throw new PickleError('pickle LONG4 has a negative length');
          this.push(this.readLong(n));
          break;
        }
        case OP.FLOAT: this.push(parseFloatText(r.line())); break;
        case OP.BINFLOAT: this.push(r.f64be()); break;

        case OP.STRING: this.push(parseQuotedString(r.line())); break;
        case OP.BINSTRING: {
          const n = r.i32();
          if (n < 0) throw new PickleError('pickle BINSTRING has a negative length');
          this.push(r.latin1(n));
          break;
        }
        case OP.SHORT_BINSTRING: this.push(r.latin1(r.u8())); break;
        case OP.UNICODE: this.push(parseRawUnicodeEscape(r.line())); break;
        case OP.BINUNICODE: this.push(r.utf8(r.u32())); break;
        case OP.SHORT_BINUNICODE: this.push(r.utf8(r.u8())); break;
        case OP.BINUNICODE8: this.push(r.utf8(r.u64())); break;
        case OP.BINBYTES: this.push(r.take(r.u32())); break;
        case OP.SHORT_BINBYTES: this.push(r.take(r.u8())); break;
        case OP.BINBYTES8: this.push(r.take(r.u64())); break;
        case OP.BYTEARRAY8: this.push(r.take(r.u64())); break;
        case OP.NEXT_BUFFER: {
          const buffer = this.options.buffers?.[this.nextBuffer++];
          if (buffer === undefined) throw new PickleError('pickle asks for an out-of-band buffer that was not given');
          this.push(buffer);
          break;
        }
        case OP.READONLY_BUFFER:
          break;

        case OP.EMPTY_LIST: this.push([]); break;
        case OP.EMPTY_TUPLE: this.push(new PyTuple([])); break;
        case OP.EMPTY_DICT: this.push(new PyDict()); break;
        case OP.EMPTY_SET: this.push(new PySet()); break;
        case OP.LIST: this.push(this.popMark()); break;
        case OP.TUPLE: this.push(new PyTuple(this.popMark())); break;
        case OP.TUPLE1: {
          const a = this.pop();
          this.push(new PyTuple([a]));
          break;
        }
        case OP.TUPLE2: {
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b]));
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case OP.DICT: {
          const dict = new PyDict();
          this.setItems(dict, this.popMark());
          this.push(dict);
          break;
        }
        case OP.FROZENSET: this.push(new PySet(this.popMark())); break;
        case OP.APPEND: {
          const v = this.pop();
          this.append(this.top(), [v]);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case OP.SETITEM: {
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case OP.ADDITEMS: {
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof PySet)) throw new PickleError(`pickle ADDITEMS at byte ${at} targets a non-set`);
          set.items.push(...items);
          break;
        }

        case OP.GET: this.push(this.memoGet(Number(parseInt10(r.line())))); break;
        case OP.BINGET: this.push(this.memoGet(r.u8())); break;
        case OP.LONG_BINGET: this.push(this.memoGet(r.u32())); break;
        case OP.PUT: this.memoPut(Number(parseInt10(r.line()))); break;
        case OP.BINPUT: this.memoPut(r.u8()); break;
        case OP.LONG_BINPUT: this.memoPut(r.u32()); break;
        case OP.MEMOIZE: this.memoPut(this.memo.size); break;

        case OP.GLOBAL: {
          const module = r.line();
          const name = r.line();
          this.push(this.resolve(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`pickle STACK_GLOBAL at byte ${at} names a non-string`);
          this.push(this.resolve(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          if (!(args instanceof PyTuple)) throw new PickleError(`pickle REDUCE at byte ${at} has arguments that are not a tuple`);
          this.push(this.call(callable, args.items, null));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          if (!(args instanceof PyTuple)) throw new PickleError(`pickle NEWOBJ at byte ${at} has arguments that are not a tuple`);
          this.push(this.instantiate(cls, args.items, null));
          break;
        }
        case OP.NEWOBJ_EX: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict)) throw new PickleError(`pickle NEWOBJ_EX at byte ${at} has malformed arguments`);
          this.push(this.instantiate(cls, args.items, kwargs));
          break;
        }
        case OP.INST: {
          const module = r.line();
          const name = r.line();
          const cls = this.resolve(module, name);
          this.push(this.call(cls, this.popMark(), null));
          break;
        }
        case OP.OBJ: {
          const items = this.popMark();
          const cls = items.shift();
          if (cls === undefined) throw new PickleError(`pickle OBJ at byte ${at} has no class`);
          this.push(this.call(cls, items, null));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          this.build(this.top(), state, at);
          break;
        }

        case OP.PERSID:
        case OP.BINPERSID:
          throw new PickleError('pickle uses persistent ids (an external object store), which flowgate does not load');
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4:
          throw new PickleError('pickle uses the copyreg extension registry, which flowgate does not load');
        default:
          throw new PickleError(`pickle has an unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
      }
    }
  }

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private pop(): PyValue {
    if (this.stack.length === 0) throw new PickleError(`pickle pops an empty stack at byte ${this.reader.pos - 1}`);
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (this.stack.length === 0) throw new PickleError(`pickle reads an empty stack at byte ${this.reader.pos - 1}`);
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const previous = this.marks.pop();
    if (previous === undefined) throw new PickleError(`pickle has no MARK to pop at byte ${this.reader.pos - 1}`);
    this.stack = previous;
    return items;
  }

  private memoGet(index: number): PyValue {
    const v = this.memo.get(index);
    if (v === undefined) throw new PickleError(`pickle reads memo entry ${index}, which was never stored`);
    return v;
  }

  private memoPut(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= this.maxMemo) {
      throw new PickleError(`pickle stores more than ${this.maxMemo} memo entries, which flowgate does not load`);
    }
    this.memo.set(index, this.top());
  }

  private readLong(n: number): number | bigint {
    const bytes = this.reader.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    if (bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return intValue(v);
  }

  /** GLOBAL / STACK_GLOBAL / INST: the only way a name enters; refused unless allow-listed. */
  private resolve(rawModule: string, name: string): PyGlobal {
    const module = this.proto < 3 ? canonicalModule(rawModule) : rawModule;
    const qualified = `${module}.${name}`;
    if (CALLABLES.has(qualified) || CONTAINER_CLASSES.has(qualified) || VALUE_ONLY.has(qualified) || this.isAllowedClass(qualified)) {
      return new PyGlobal(module, name);
    }
    throw new PickleError(this.options.refusal?.(qualified) ?? refusalMessage(qualified));
  }

  private isAllowedClass(qualified: string): boolean {
    return this.options.allowClass?.(qualified) === true;
  }

  /** REDUCE / INST / OBJ: `callable(*args)`. */
  private call(callable: PyValue, args: readonly PyValue[], kwargs: PyDict | null): PyValue {
    if (!(callable instanceof PyGlobal)) throw new PickleError('pickle calls something that is not an allow-listed global');
    const reconstruct = CALLABLES.get(callable.qualifiedName);
    if (reconstruct !== undefined) return reconstruct(args, kwargs, this);
    return this.instantiate(callable, args, kwargs);
  }

  /** NEWOBJ: `cls.__new__(cls, *args)`, as data. */
  instantiate(cls: PyValue, args: readonly PyValue[], kwargs: PyDict | null): PyValue {
    if (!(cls instanceof PyGlobal)) throw new PickleError('pickle instantiates something that is not an allow-listed class');
    const name = cls.qualifiedName;
    const container = CONTAINER_CLASSES.get(name);
    if (container !== undefined) return container();
    if (this.isAllowedClass(name)) return new PyObject(name, args, kwargs);
    throw new PickleError(`pickle calls ${name}, which flowgate never calls (allowed only as a value)`);
  }

  private build(target: PyValue, state: PyValue, at: number): void {
    if (target instanceof PyObject) target.state = state;
    else if (target instanceof NDArray) setArrayState(target, state);
    else if (target instanceof DType) setDTypeState(target, state);
    else if (target instanceof PyDict && state === null) return;
    else throw new PickleError(`pickle BUILD at byte ${at} targets a value that has no state`);
  }

  private append(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) for (const v of items) target.push(v);
    else if (target instanceof PyObject) target.listItems.push(...items);
    else throw new PickleError('pickle appends to a value that is not a list');
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2 !== 0) throw new PickleError('pickle sets dict items from an odd number of values');
    const dict = target instanceof PyDict ? target : target instanceof PyObject ? target.dictItems : null;
    if (dict === null) throw new PickleError('pickle sets items on a value that is not a dict');
    try {
      for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
    } catch (err) {
      throw new PickleError(`pickle uses an invalid dict key: ${(err as Error).message}`);
    }
  }
}
