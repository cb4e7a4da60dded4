/**
 * Reading an endpoints file: YAML (or JSON) → schema → spec. Every problem is reported at
 * once, each with its place in the file (line:column) and its path in the document
 * (`endpoints.iris.variants[1].weight`), so one edit fixes them all.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { parseTokenFile } from './access.js';
import { defaultEndpointProblem, gatewayFileSchema, gatewaySpec, type GatewaySpec } from './config.js';

export interface ConfigProblem {
  /** where in the document, e.g. `endpoints.iris.variants[1].weight`; '' for the whole file */
  path: string;
  line: number | null;
  column: number | null;
  message: string;
}

export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${file}: ${count}:\n${problems.map((p) => `  ${formatProblem(file, p)}`).join('\n')}`);
    this.name = 'ConfigFileError';
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const at = p.line === null ? file : `${file}:${p.line}:${p.column}`;
  return p.path === '' ? `${at}: ${p.message}` : `${at}: ${p.path}: ${p.message}`;
}

export interface LoadedConfig {
  spec: GatewaySpec;
  /** the file's text, to tell a real change from a touch */
  text: string;
}

export async function readConfigFile(file: string): Promise<LoadedConfig> {
  const text = await readConfigText(file);
  return { spec: parseConfigText(text, file), text };
}

export async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(file, [{ path: '', line: null, column: null, message: `cannot read the file: ${(err as Error).message}` }]);
  }
}

export function parseConfigText(text: string, file: string): GatewaySpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((e) => ({ path: '', line: e.linePos?.[0].line ?? null, column: e.linePos?.[0].col ?? null, message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` })),
    );
  }
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigFileError(file, [{ path: '', line: 1, column: 1, message: 'must be a mapping with `endpoints` (and `default_endpoint` when there are several)' }]);
  }
  const parsed = gatewayFileSchema.safeParse(value);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => problemOf(issue, doc, lineCounter));
  const defaultProblem = defaultEndpointProblem(value as Record<string, unknown>);
  if (defaultProblem !== null) {
    const pos = position(doc, ['default_endpoint'], lineCounter, false);
    problems.push({ path: 'default_endpoint', line: pos?.line ?? null, column: pos?.col ?? null, message: defaultProblem });
  }
  if (problems.length > 0) throw new ConfigFileError(file, problems.sort(byPlace));
  const tokenProblems: ConfigProblem[] = [];
  const spec = gatewaySpec(parsed.data!, (path) => readTokenFile(resolve(dirname(file), path), tokenProblems));
  if (tokenProblems.length > 0) throw new ConfigFileError(file, tokenProblems);
  return spec;
}

/** The tokens of an endpoint's token file (relative to the endpoints file); what cannot be read is a problem. */
function readTokenFile(path: string, problems: ConfigProblem[]): string[] {
  let tokens: string[];
  try {
    tokens = parseTokenFile(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push({ path: '', line: null, column: null, message: `cannot read the token file ${path}: ${(err as Error).message}` });
    return [];
  }
  if (tokens.length === 0) problems.push({ path: '', line: null, column: null, message: `the token file ${path} holds no token` });
  return tokens;
}

function problemOf(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): ConfigProblem {
  let path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]!];
    message = issue.keys.length === 1 ? 'is not a known setting' : `are not known settings: ${issue.keys.join(', ')}`;
  } else if (issue.code === 'invalid_key') {
    message = `is not a valid name: ${issue.issues[0]?.message ?? issue.message}`;
  }
  const pos = position(doc, path, lines, issue.code === 'invalid_key' || issue.code === 'unrecognized_keys');
  return { path: pathText(path), line: pos?.line ?? null, column: pos?.col ?? null, message };
}

/** The line and column of the node at `path`, or of its closest existing ancestor. */
function position(doc: Document, path: (string | number)[], lines: LineCounter, key: boolean): { line: number; col: number } | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : key && n === path.length ? keyNode(doc, path) : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]);
  }
  return null;
}

function keyNode(doc: Document, path: (string | number)[]): unknown {
  const parent = doc.getIn(path.slice(0, -1), true) as { items?: { key: unknown }[] } | undefined;
  const last = String(path[path.length - 1]);
  return parent?.items?.find((pair) => isNode(pair.key) && String((pair.key as { value?: unknown }).value) === last)?.key;
}

function byPlace(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

function pathText(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
