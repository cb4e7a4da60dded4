/**
 * Offline schema check for custom resources (ServiceMonitor, PrometheusRule, KServe's
 * ClusterServingRuntime and InferenceService), against the OpenAPI v3 schemas their projects
 * publish in their CRDs, kept in crd-schemas/ with their source and version. It applies what the
 * API server checks of a structural schema under strict field validation (`kubectl apply
 * --validate=strict`): types, required fields, enums, patterns, bounds, int-or-string, and unknown
 * fields as errors except under `x-kubernetes-preserve-unknown-fields`. CEL rules
 * (`x-kubernetes-validations`) are not evaluated.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON schemas and manifests are untyped */
type Schema = Record<string, any>;

export interface CrdSchemaFile {
  source: string;
  version: string;
  group: string;
  kind: string;
  versions: Record<string, Schema>;
}

const dir = join(import.meta.dirname, 'crd-schemas');

export function crdSchemaFiles(): CrdSchemaFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CrdSchemaFile);
}

const files = existsSync(dir) ? crdSchemaFiles() : [];

/** The schema for an apiVersion and kind, or undefined when none is kept. */
export function crdSchema(apiVersion: string, kind: string): Schema | undefined {
  const [group, version] = apiVersion.split('/');
  return files.find((f) => f.group === group && f.kind === kind)?.versions[version ?? ''];
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function check(value: unknown, schema: Schema, path: string, errors: string[]): void {
  if (value === null && schema.nullable === true) return;
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeOf(value) !== 'integer' && typeOf(value) !== 'string') errors.push(`${path}: must be an integer or a string, not ${typeOf(value)}`);
    return;
  }
  for (const alternatives of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[alternatives])) {
      const passing = (schema[alternatives] as Schema[]).filter((s) => {
        const sub: string[] = [];
        check(value, { type: schema.type, ...s }, path, sub);
        return sub.length === 0;
      });
      if (passing.length === 0) errors.push(`${path}: matches none of ${alternatives}`);
    }
  }
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) check(value, s, path, errors);
  const type = schema.type as string | undefined;
  const actual = typeOf(value);
  if (type !== undefined && actual !== type && !(type === 'number' && actual === 'integer')) {
    errors.push(`${path}: must be ${type}, not ${actual}`);
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: must be one of ${schema.enum.join(', ')}, not ${JSON.stringify(value)}`);
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern as string, 'u').test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.items !== undefined) value.forEach((item, i) => check(item, schema.items as Schema, `${path}[${i}]`, errors));
    return;
  }
  if (actual !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const name of (schema.required as string[] | undefined) ?? []) {
    if (!(name in object)) errors.push(`${path}: missing required field ${name}`);
  }
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const additional = schema.additionalProperties as Schema | boolean | undefined;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  // metadata is the API server's (ObjectMeta): the CRD schema only says `type: object`
  const open = preserve || (schema.properties === undefined && additional === undefined);
  for (const [name, field] of Object.entries(object)) {
    if (name in properties) check(field, properties[name]!, `${path}.${name}`, errors);
    else if (typeof additional === 'object') check(field, additional, `${path}.${name}`, errors);
    else if (!open && additional !== true) errors.push(`${path}: unknown field "${name}"`);
  }
}

/** Errors of one custom resource against its kept CRD schema; throws when no schema is kept. */
export function customResourceErrors(object: { apiVersion: string; kind: string; metadata?: { name?: string } }): string[] {
  const schema = crdSchema(object.apiVersion, object.kind);
  if (schema === undefined) throw new Error(`no CRD schema kept for ${object.kind} ${object.apiVersion}`);
  const errors: string[] = [];
  check(object, schema, `${object.kind}/${object.metadata?.name ?? '?'}`, errors);
  return errors;
}
