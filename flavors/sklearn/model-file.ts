/**
 * Reads a pickled scikit-learn model into an Estimator: refuses compressed (joblib) files
 * with a clear message, unpickles with the registry's allow-list, then builds the estimator.
 * Every failure is a FlavorError at load, never a surprise at the first request.
 */
import { FlavorError } from '../../src/errors.js';
import { PickleError, unpickle } from '../../src/pickle/index.js';
import type { Estimator } from './estimator.js';
import { FAMILIES } from './estimators/index.js';
import { Registry, withAlternatives } from './registry.js';

export const registry = new Registry(FAMILIES);

const COMPRESSED: [string, number[]][] = [
  ['zlib', [0x78, 0x01]], ['zlib', [0x78, 0x5e]], ['zlib', [0x78, 0x9c]], ['zlib', [0x78, 0xda]],
  ['gzip', [0x1f, 0x8b]], ['bz2', [0x42, 0x5a, 0x68]], ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lzma', [0x5d, 0x00, 0x00]], ['lz4', [0x04, 0x22, 0x4d, 0x18]], ['zip', [0x50, 0x4b, 0x03, 0x04]],
];

function compression(bytes: Uint8Array): string | null {
  for (const [name, magic] of COMPRESSED) {
    if (magic.every((b, i) => bytes[i] === b)) return name;
  }
  return null;
}

export function readSklearnModel(bytes: Uint8Array, file: string): Estimator {
  const compressed = compression(bytes);
  if (compressed !== null) {
    throw new FlavorError(
      'sklearn',
      `${file} is ${compressed}-compressed (joblib.dump with compress?); flowgate reads plain pickle/cloudpickle files as mlflow.sklearn.save_model writes them`,
    );
  }
  let root;
  try {
    root = unpickle(bytes, { allowClass: (n) => registry.allowClass(n), refusal: (n) => registry.refusal(n) });
  } catch (err) {
    if (err instanceof PickleError) throw new FlavorError('sklearn', err.message, { cause: err });
    throw err;
  }
  try {
    return registry.build(root, file);
  } catch (err) {
    throw new FlavorError('sklearn', withAlternatives((err as Error).message), { cause: err });
  }
}
