/**
 * Read-only access to the HDF5 files Keras writes (`model.weights.h5` inside a `.keras`
 * archive, legacy `model.h5`).
 *
 * h5wasm is libhdf5 itself compiled to WebAssembly (no native build, no download), so
 * every HDF5 layout h5py can write reads here; the pure-JS readers (jsfive) cover only a
 * subset of the format. Its default build keeps files in WebAssembly memory (Emscripten
 * MEMFS): nothing is written to disk, so a read-only container file system is fine. (Its
 * Node build maps the real file system instead and would need a writable temp dir for
 * archive members.) It is loaded with the first Keras file: processes serving SavedModels
 * or other flavors never pay for it.
 */
import type * as H5Wasm from 'h5wasm';

type H5 = typeof H5Wasm;
let library: Promise<H5> | undefined;
let opened = 0;

function h5wasm(): Promise<H5> {
  library ??= import('h5wasm').then(async (h5) => {
    await h5.ready;
    return h5;
  });
  return library;
}

export interface H5Array {
  shape: number[];
  values: ArrayLike<number | bigint>;
}

export class H5File {
  private constructor(
    private readonly h5: H5,
    private readonly file: H5Wasm.File,
    private readonly memPath: string,
  ) {}

  /** Opens HDF5 bytes; `close()` frees them. */
  static async open(bytes: Uint8Array): Promise<H5File> {
    const h5 = await h5wasm();
    const memPath = `/model-${++opened}.h5`;
    h5.FS!.writeFile(memPath, bytes);
    try {
      return new H5File(h5, new h5.File(memPath, 'r'), memPath);
    } catch (err) {
      h5.FS!.unlink(memPath);
      throw err;
    }
  }

  /** Names inside a group, or null when `path` is not a group. */
  keys(path: string): string[] | null {
    const entity = this.file.get(path);
    return entity instanceof this.h5.Group ? entity.keys() : null;
  }

  /** A dataset's shape and elements, or null when `path` is not a dataset. */
  array(path: string): H5Array | null {
    const entity = this.file.get(path);
    if (!(entity instanceof this.h5.Dataset)) return null;
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
    this.h5.FS!.unlink(this.memPath);
  }
}
