/**
 * Where a worker thread's compiled module is. Workers run JavaScript: from dist/ the module
 * sits next to its importer; from the TypeScript sources (vitest) it is the dist/ copy, so
 * tests that start worker threads need `npm run build` first (`npm test` does it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `sibling`: the module's URL next to its importer, e.g. `new URL('./x-worker.js', import.meta.url)`. */
export function workerModuleUrl(sibling: URL): URL {
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const at = sibling.href.lastIndexOf('/src/');
  return new URL(`${sibling.href.slice(0, at)}/dist${sibling.href.slice(at)}`);
}
