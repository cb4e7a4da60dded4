/**
 * Pickles that would run code, or exhaust memory or the stack, if Python (or a naive reader)
 * loaded them. Each must be refused with an error naming what it tried, and nothing may run.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PickleError, unpickle } from '../../src/pickle/index.js';
import { NO_GENERATED, generatedVersions, pk, stackGlobal, u32le, u64le } from './helpers.js';

const SENTINEL = '/tmp/flowgate-pwned';
const sklearnClasses = { allowClass: (n: string): boolean => n.startsWith('sklearn.') };

function refusal(bytes: Uint8Array, options = sklearnClasses): string {
  try {
    unpickle(bytes, options);
  } catch (err) {
    expect(err).toBeInstanceOf(PickleError);
    return (err as Error).message;
  }
  throw new Error('the pickle was accepted');
}

beforeAll(() => rmSync(SENTINEL, { force: true }));
afterAll(() => expect(existsSync(SENTINEL), 'a refused pickle ran code').toBe(false));

describe('refuses pickles that call code', () => {
  const system = `touch ${SENTINEL}`;

  it('os.system via GLOBAL + REDUCE (protocol 0)', () => {
    expect(refusal(pk('cos\nsystem\n', `(S'${system}'\n`, 'tR.'))).toBe(
      'pickle refers to os.system, which flowgate never loads (not an allow-listed class)',
    );
  });

  it('posix.system via STACK_GLOBAL (protocol 4)', () => {
    const bytes = pk('\x80\x04', stackGlobal('posix', 'system'), '\x8c', [system.length], system, '\x85', 'R', '.');
    expect(refusal(bytes)).toContain('pickle refers to posix.system');
  });

  it('subprocess.Popen via INST', () => {
    expect(refusal(pk('(', `S'${system}'\n`, 'isubprocess\nPopen\n', '.'))).toContain('subprocess.Popen');
  });

  it('builtins.eval and builtins.exec (and their Python 2 names)', () => {
    expect(refusal(pk('\x80\x04', stackGlobal('builtins', 'eval'), '\x8c\x04 1+1', '\x85R.'))).toContain('builtins.eval');
    expect(refusal(pk('\x80\x02', 'c__builtin__\nexec\n', 'X', u32le(4), 'pass', '\x85R.'))).toContain('builtins.exec');
  });

  it('getattr and __import__ used to reach a callable', () => {
    expect(refusal(pk('cbuiltins\ngetattr\n(cbuiltins\n__import__\n(Vos\ntRVsystem\ntR.'))).toContain('builtins.getattr');
  });

  it('REDUCE on a value that is not a global (a string, a memoised object)', () => {
    expect(refusal(pk('\x80\x04', '\x8c\x09os.system', '\x8c\x02hi', '\x85', 'R', '.'))).toMatch(/calls something that is not an allow-listed global/);
    expect(refusal(pk('\x80\x04', ']', '\x94', 'h\x00', ')', 'R', '.'))).toMatch(/not an allow-listed global/);
  });

  it('an allow-listed value-only global (numpy.float64) used as a callable', () => {
    expect(refusal(pk('\x80\x04', stackGlobal('numpy', 'float64'), ')', '\x81', '.'))).toBe(
      'pickle calls numpy.float64, which flowgate never calls (allowed only as a value)',
    );
  });

  it('copyreg._reconstructor asked to build a non-allow-listed class', () => {
    // The class global itself is refused before copyreg is ever reached.
    expect(refusal(pk('ccopy_reg\n_reconstructor\n(cos\n_wrap_close\ncbuiltins\nobject\nNtR.'))).toContain('os._wrap_close');
  });

  it('persistent ids and the copyreg extension registry', () => {
    expect(refusal(pk('Pos.system\n.'))).toMatch(/persistent ids/);
    expect(refusal(pk('\x80\x02', '\x82\x01', '.'))).toMatch(/extension registry/);
  });

  it('a class the flavor does not allow, with the flavor\'s own message', () => {
    const bytes = pk('\x80\x04', stackGlobal('sklearn.cluster._kmeans', 'KMeans'), ')', '\x81', '.');
    expect(refusal(bytes, { allowClass: () => false, refusal: (n: string) => `class ${n} is not supported` } as never)).toBe(
      'class sklearn.cluster._kmeans.KMeans is not supported',
    );
  });
});

describe('refuses pickles built to exhaust memory or the stack', () => {
  it('values nested deeper than the limit (a million TUPLE1s)', () => {
    const bytes = new Uint8Array(1_000_003);
    bytes.set([0x80, 0x04, 0x4e]); // PROTO 4, NONE
    bytes.fill(0x85, 3, 1_000_002); // TUPLE1 ...
    bytes[1_000_002] = 0x2e; // STOP
    expect(refusal(bytes)).toBe('pickle nests values more than 200 levels deep, which flowgate does not load');
  });

  it('MARKs nested deeper than the limit', () => {
    expect(refusal(pk('\x80\x04', '('.repeat(100_000), '.'))).toMatch(/nests MARKs more than 200 deep/);
  });

  it('a list that contains itself', () => {
    expect(refusal(pk('\x80\x04', ']', '\x94', 'h\x00', 'a', '.'))).toMatch(/reference cycle/);
  });

  it('more memo entries than the limit', () => {
    const puts = Array.from({ length: 2000 }, (_, i) => pk('r', u32le(i))).flatMap((b) => Array.from(b));
    expect(refusal(pk('\x80\x04', 'N', puts, '.'), { ...sklearnClasses, maxMemo: 1000 } as never)).toMatch(/more than 1000 memo entries/);
  });

  it('a memo index near 2^32 allocates nothing', () => {
    expect(unpickle(pk('\x80\x04', 'K\x07', 'r', u32le(0xfffffffe), 'j', u32le(0xfffffffe), '\x86', '.'))).toMatchObject({ items: [7, 7] });
  });

  it('a shared-reference DAG with 2^100 paths is measured in linear time', () => {
    // x0 = []; x_{k+1} = (x_k, x_k): 100 levels, each object visited once.
    const parts: (string | number[])[] = ['\x80\x04', ']', 'r', u32le(0)];
    for (let k = 0; k < 100; k++) parts.push('j', u32le(k), 'j', u32le(k), '\x86', 'r', u32le(k + 1));
    parts.push('.');
    expect(unpickle(pk(...parts))).toBeTruthy();
  });

  it('lengths that claim more bytes than the pickle has', () => {
    expect(refusal(pk('\x80\x04', '\x8e', u64le(1n << 40n), 'x.'))).toMatch(/truncated/);
    expect(refusal(pk('\x80\x04', '\x8d', u64le(1n << 62n), 'x.'))).toMatch(/truncated/);
    expect(refusal(pk('X', u32le(0xffffffff), 'x.'))).toMatch(/truncated/);
  });

  it('a numpy array whose shape promises far more data than it carries', () => {
    const bytes = pk(
      '\x80\x04', stackGlobal('numpy.core.multiarray', '_reconstruct'), stackGlobal('numpy', 'ndarray'), 'K\x00\x85', 'C\x01b', '\x87R',
      '(K\x01', 'J', u32le(1_000_000_000), '\x85', stackGlobal('numpy', 'dtype'), '\x8c\x02f8\x89\x88\x87R',
      '(K\x03\x8c\x01<NNNJ', u32le(0xffffffff), 'J', u32le(0xffffffff), 'K\x00tb', '\x89', 'C\x08', [0, 0, 0, 0, 0, 0, 0, 0], 't', 'b.',
    );
    expect(refusal(bytes)).toMatch(/numpy array data has 8 bytes, but shape \(1000000000\) of float64 needs 8000000000/);
  });
});

const versions = generatedVersions();

describe.skipIf(versions.length === 0)('refuses attacks pickled by Python itself (__reduce__ tricks)', () => {
  if (versions.length === 0) it.skip(NO_GENERATED, () => {});
  const names: Record<string, RegExp> = {
    os_system: /pickle refers to (posix|os)\.system,/,
    subprocess_popen: /pickle refers to subprocess\.Popen,/,
    builtins_eval: /pickle refers to builtins\.eval,/,
    builtins_exec: /pickle refers to builtins\.exec,/,
    getattr_trick: /pickle refers to builtins\.getattr,/,
    inside_estimator: /pickle refers to (posix|os)\.system,/,
  };
  for (const dir of versions) {
    const files = readdirSync(join(dir, 'attacks'));
    for (const file of files) {
      it(`${dir.split('/').pop()}: ${file}`, () => {
        const expected = names[file.replace(/\.p\d\.pkl$/, '')]!;
        expect(refusal(readFileSync(join(dir, 'attacks', file)))).toMatch(expected);
      });
    }
  }
});
