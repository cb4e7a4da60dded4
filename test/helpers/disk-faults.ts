/**
 * A fake disk under one directory, for machines where a small tmpfs cannot be mounted (not
 * root): test files route node:fs and node:fs/promises through these wrappers (vi.mock),
 * and writes under `disk.root` then fail as the kernel would fail them, with the same
 * error codes and messages: ENOSPC once `disk.capacity` bytes were written, EROFS for
 * every write while `disk.readOnly`. Outside `disk.root` everything is the real thing.
 */
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Writable } from 'node:stream';

export const disk = {
  /** the directory the faults apply under; null: none */
  root: null as string | null,
  /** bytes that may be written under root, in all; null: no limit */
  capacity: null as number | null,
  /** bytes written under root so far */
  used: 0,
  readOnly: false,
  reset(root: string | null = null): void {
    this.root = root;
    this.capacity = null;
    this.used = 0;
    this.readOnly = false;
  },
};

function under(path: Fs.PathLike): boolean {
  if (disk.root === null) return false;
  const p = resolve(String(path));
  return p === disk.root || p.startsWith(disk.root + sep);
}

/** An error like the one a failing system call throws. */
function systemError(code: 'ENOSPC' | 'EROFS', syscall: string, path?: Fs.PathLike): NodeJS.ErrnoException {
  const what = code === 'ENOSPC' ? 'no space left on device' : 'read-only file system';
  const err = new Error(`${code}: ${what}, ${syscall}${path === undefined ? '' : ` '${String(path)}'`}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = code === 'ENOSPC' ? -28 : -30;
  err.syscall = syscall;
  if (path !== undefined) err.path = String(path);
  return err;
}

/** node:fs with createWriteStream held to the fake disk. */
export function faultyFs(real: typeof Fs): typeof Fs {
  const createWriteStream = ((path: Fs.PathLike, options?: Parameters<typeof Fs.createWriteStream>[1]) => {
    if (!under(path)) return real.createWriteStream(path, options);
    if (disk.readOnly) {
      const failing = new Writable({ write: (_c, _e, done) => done(systemError('EROFS', 'open', path)) });
      process.nextTick(() => failing.destroy(systemError('EROFS', 'open', path)));
      return failing;
    }
    const file = real.createWriteStream(path, options);
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (disk.capacity !== null && disk.used + chunk.length > disk.capacity) return done(systemError('ENOSPC', 'write'));
        disk.used += chunk.length;
        file.write(chunk, done);
      },
      final: (done) => void file.end(done),
      destroy: (err, done) => {
        file.destroy();
        done(err);
      },
    });
  }) as typeof Fs.createWriteStream;
  return { ...real, createWriteStream, default: { ...real, createWriteStream } } as typeof Fs;
}

/** node:fs/promises with its writing calls held to the fake disk. */
export function faultyFsPromises(real: typeof FsPromises): typeof FsPromises {
  const guard =
    <A extends [Fs.PathLike, ...unknown[]], R>(syscall: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (disk.readOnly && under(args[0])) {
        // an existing directory is no error for mkdir -p, even on a read-only file system
        if (syscall === 'mkdir' && (await real.stat(args[0]).then((s) => s.isDirectory(), () => false))) return undefined as R;
        throw systemError('EROFS', syscall, args[0]);
      }
      return fn(...args);
    };
  const wrapped = {
    mkdir: guard('mkdir', real.mkdir as (...a: [Fs.PathLike, ...unknown[]]) => Promise<unknown>),
    mkdtemp: guard('mkdtemp', real.mkdtemp as (...a: [Fs.PathLike, ...unknown[]]) => Promise<unknown>),
    rename: guard('rename', real.rename as (...a: [Fs.PathLike, ...unknown[]]) => Promise<unknown>),
    utimes: guard('utime', real.utimes as (...a: [Fs.PathLike, ...unknown[]]) => Promise<unknown>),
    writeFile: guard('open', real.writeFile as (...a: [Fs.PathLike, ...unknown[]]) => Promise<unknown>),
  };
  return { ...real, ...wrapped, default: { ...real, ...wrapped } } as unknown as typeof FsPromises;
}
