#!/usr/bin/env node
/**
 * `npm run bench [-- NAME...]`: runs every bench/*.bench.mjs (or those whose name contains one of
 * the NAMEs), one at a time, each in its own process so that none warms up or slows down the next.
 * Each bench prints its own results (and may save them under bench/.results/).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((name) => f.includes(name)))
  .sort();
if (benches.length === 0) {
  console.error(`no bench matches ${filters.join(', ')}`);
  process.exit(1);
}

const failed = [];
for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const start = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(dir, bench)], { stdio: 'inherit' });
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  console.log(`=== ${bench}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  if (code !== 0) failed.push(bench);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
