/** A Python unpickler that never runs code: see unpickler.ts and types.ts. */
export { unpickle, refusalMessage, type UnpickleOptions } from './unpickler.js';
export { PickleError } from './errors.js';
export * from './types.js';
export * from './read.js';
export { NUMPY_UFUNCS, NUMPY_UFUNC_MODULES } from './globals.js';
