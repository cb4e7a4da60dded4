/**
 * Read-only access to the HDF5 files Keras writes (`model.weights.h5` inside a `.keras`
 * archive, legacy `model.h5`).
 *
 * h5wasm is libhdf5 itself compiled to WebAssembly (no native build, no download), so
 * every HDF5 layout h5py can write reads here; the pure-JS readers (jsfive) cover only a
 * subset of the format. It is loaded on first use: processes serving other flavors never
 * pay for it. Files go into its in-memory file system for the time of one read.
 */
import * as h5wasm from 'h5wasm/node';

export interface H5Array {
  shape: number[];
  values: ArrayLike<number | bigint>;
}

let opened = 0;

export class H5File {
  private constructor(
    private readonly file: h5wasm.File,
    private readonly memPath: string,
  ) {}

  /** Opens HDF5 bytes; `close()` frees them. */
  static async open(bytes: Uint8Array): Promise<H5File> {
    const fs = (await h5wasm.ready).FS;
    const memPath = `/flowgate-${process.pid}-${++opened}.h5`;
    fs.writeFile(memPath, bytes);
    try {
      return new H5File(new h5wasm.File(memPath, 'r'), memPath);
    } catch (err) {
      fs.unlink(memPath);
      throw err;
    }
  }

  /** Names inside a group, or null when `path` is not a group. */
  keys(path: string): string[] | null {
    const entity = this.file.get(path);
    return entity instanceof h5wasm.Group ? entity.keys() : null;
  }

  /** A dataset's shape and elements, or null when `path` is not a dataset. */
  array(path: string): H5Array | null {
    const entity = this.file.get(path);
    if (!(entity instanceof h5wasm.Dataset)) return null;
    const shape = entity.shape ?? [];
    const value = entity.value;
    if (typeof value === 'number' || typeof value === 'bigint') return { shape, values: [value] };
    if (ArrayBuffer.isView(value)) return { shape, values: value as unknown as ArrayLike<number | bigint> };
    throw new Error(`${path} holds ${String(entity.dtype)} data, not numbers`);
  }

  /** An attribute as JSON-compatible data (strings decoded), or undefined when absent. */
  attribute(path: string, name: string): unknown {
    const entity = path === '/' ? this.file : this.file.get(path);
    if (entity === null || !('attrs' in entity)) return undefined;
    if (!(name in entity.attrs)) return undefined;
    return entity.get_attribute(name, true);
  }

  close(): void {
    this.file.close();
    h5wasm.FS?.unlink(this.memPath);
  }
}
