#!/usr/bin/env node
/**
 * Imports a CustomResourceDefinition's OpenAPI schema as test data: reads the CRD YAML (as its
 * project publishes it), keeps the `openAPIV3Schema` of every served version without the
 * `description` texts (validation does not read them; they are 80 % of the bytes), and writes
 * `<group>_<plural>.json` with where it came from.
 *
 *   node test/deploy/crd-schemas/extract.mjs <crd.yaml> <source URL> <project version>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const [file, source, version] = process.argv.slice(2);
if (!file || !source || !version) {
  console.error('usage: extract.mjs <crd.yaml> <source URL> <project version>');
  process.exit(2);
}
const crd = parse(readFileSync(file, 'utf8'));
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
      .map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strip(s)])) : strip(v)]),
  );
};
const out = {
  source,
  version,
  group: crd.spec.group,
  kind: crd.spec.names.kind,
  versions: Object.fromEntries(crd.spec.versions.filter((v) => v.served).map((v) => [v.name, strip(v.schema.openAPIV3Schema)])),
};
const target = join(import.meta.dirname, `${crd.spec.group}_${crd.spec.names.plural}.json`);
writeFileSync(target, `${JSON.stringify(out)}\n`);
console.log(`${target}: ${out.kind} ${Object.keys(out.versions).join(', ')}`);
