/**
 * Offline schema check for Kubernetes objects: each object becomes `<object literal> satisfies <Kind>`
 * with the official API types (kubernetes-types, generated from the Kubernetes 1.30 OpenAPI spec) and is
 * type-checked in memory. TypeScript's excess-property check catches misspelled or misplaced fields
 * (`readinesProbe`, `resource:`), its type checks catch wrong value types (`replicas: "2"`). No API server
 * is needed, unlike `kubectl apply --dry-run`. TypeScript stops at the first excess property of an object
 * literal, so a broken object reports its first error only.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  [field: string]: unknown;
}

const typesDir = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));

/** `apps/v1` → `apps/v1`, `v1` → `core/v1`, `networking.k8s.io/v1` → `networking/v1`. */
function typesModule(apiVersion: string): string | null {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  const path = `${group!.split('.')[0]}/${version}`;
  return existsSync(join(typesDir, `${path}.d.ts`)) ? path : null;
}

/** Type errors of every object, each prefixed with `Kind/name:`; empty when all are valid. */
export function kubernetesTypeErrors(objects: K8sObject[]): string[] {
  const errors: string[] = [];
  const lines: string[] = [];
  const owners: string[] = []; // owners[line] = the object written on that line
  objects.forEach((object, i) => {
    const label = `${object.kind}/${object.metadata?.name ?? '?'}`;
    const module = typesModule(object.apiVersion);
    if (module === null) {
      errors.push(`${label}: unknown apiVersion ${object.apiVersion} for kubernetes-types`);
      return;
    }
    const text = [
      `import type * as m${i} from 'kubernetes-types/${module}';`,
      `export const o${i} = ${JSON.stringify(object, null, 2)} satisfies m${i}.${object.kind};`,
    ].join('\n');
    for (const line of text.split('\n')) {
      lines.push(line);
      owners.push(label);
    }
  });

  // A virtual file inside this directory, so `kubernetes-types` resolves from the repository's node_modules.
  const file = join(import.meta.dirname, '__k8s_objects__.ts');
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName === file && diagnostic.start !== undefined) {
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      errors.push(`${owners[line]}: line ${line + 1}: ${lines[line]!.trim()}: ${message}`);
    } else {
      errors.push(message);
    }
  }
  return errors;
}
