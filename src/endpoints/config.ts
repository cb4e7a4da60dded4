/**
 * The endpoints file (`flowgate serve --config flowgate.yaml`): its zod schema, the checks
 * across fields, and the plain types the gateway is built from. `-m URI` is the same
 * thing with one endpoint of one variant.
 */
import { z } from 'zod';
import { byteSize } from '../config.js';
import { canonicalStage, parseModelsUri, parseRunsUri, uriScheme, validateAlias } from '../registry/uri.js';
import type { StickySource } from '../routing/sticky-key.js';
import type { Runtime } from '../model/flavor.js';

export interface VariantSpec {
  name: string;
  /** a model URI: models:/name@alias, models:/name/Stage, models:/name/3, runs:/..., a path */
  model: string;
  weight: number;
  /** `runtime: python` runs this variant's model in the Python runtime (flavors/python) */
  runtime?: Runtime;
}

export interface ShadowSpec {
  name: string;
  model: string;
  /** share of the endpoint's requests copied to the shadow, 0..1 */
  sample: number;
  /** shadow requests allowed to wait for a free slot; more are dropped */
  maxQueue: number;
  /** shadow requests run at once */
  concurrency: number;
  runtime?: Runtime;
}

export interface EndpointSpec {
  name: string;
  variants: VariantSpec[];
  shadows: ShadowSpec[];
  sticky: StickySource | null;
  /** whether `x-flowgate-variant: <name>` may force a variant */
  variantOverride: boolean;
  /** `max_body_size`: this endpoint's request body limit in bytes; null for --max-body-size */
  maxBodyBytes: number | null;
}

export interface GatewaySpec {
  endpoints: EndpointSpec[];
  /** the endpoint `/invocations` serves */
  defaultEndpoint: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const NAME_RULE = 'must be 1-128 letters, digits, "_", "." or "-", starting with a letter or digit';
const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);
const name = z.string({ error: required('a string') }).regex(NAME, NAME_RULE);
const model = z
  .string({ error: required('a model URI (a string)') })
  .trim()
  .min(1, 'must be a model URI, not empty')
  .superRefine((uri, ctx) => {
    const problem = modelUriProblem(uri);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

/** What is wrong with a models:/ or runs:/ URI's grammar, or null (other locations are checked when loaded). */
export function modelUriProblem(uri: string): string | null {
  try {
    const scheme = uriScheme(uri);
    if (scheme === 'runs') parseRunsUri(uri);
    if (scheme !== 'models') return null;
    const parsed = parseModelsUri(uri);
    if (parsed.kind === 'stage') canonicalStage(parsed.stage);
    if (parsed.kind === 'alias') validateAlias(parsed.alias);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const runtime = z.enum(['auto', 'python'], { error: 'must be auto or python' }).optional();

const variantSchema = z.strictObject({
  name: name.optional(),
  model,
  runtime,
  weight: z.number({ error: required('a number') }).finite('must be a finite number').min(0, 'must be >= 0').optional(),
});

const shadowSchema = z.strictObject({
  name,
  model,
  runtime,
  sample: z.number({ error: required('a number') }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(1),
  max_queue: z.number({ error: required('a whole number') }).int('must be a whole number').min(0, 'must be >= 0').default(100),
  concurrency: z.number({ error: required('a whole number') }).int('must be a whole number').min(1, 'must be >= 1').default(2),
});

const stickySchema = z
  .strictObject({
    header: z.string({ error: required('a header name') }).regex(HEADER, 'must be an HTTP header name').optional(),
    json: z
      .string({ error: required('a dotted path') })
      .regex(/^[^.]+(\.[^.]+)*$/, 'must be a dotted path into the JSON body, e.g. params.user_id')
      .optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.header === undefined) === (s.json === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must give exactly one of `header` or `json`' });
    }
  });

const endpointSchema = z
  .strictObject({
    variants: z.array(variantSchema, { error: required('a list of variants') }).min(1, 'must list at least one variant'),
    sticky: stickySchema.optional(),
    shadow: z.array(shadowSchema, { error: required('a list of shadow variants') }).default([]),
    variant_override: z.boolean({ error: required('true or false') }).default(true),
    max_body_size: z
      .union([z.number().int('must be a whole number of bytes').min(1, 'must be >= 1'), z.string().transform((text, ctx) => byteSize(text, ctx))], {
        error: 'must be a size such as 20MB, 1GiB or a number of bytes',
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    const many = e.variants.length > 1;
    const weighted = e.variants.filter((v) => v.weight !== undefined).length;
    e.variants.forEach((v, i) => {
      if (many && v.name === undefined) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: 'is required when an endpoint has several variants' });
      if (weighted > 0 && weighted < e.variants.length && v.weight === undefined) {
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'weight'], message: 'is required: give every variant a weight, or none (an even split)' });
      }
    });
    if (weighted > 0 && weighted === e.variants.length && e.variants.reduce((sum, v) => sum + (v.weight ?? 0), 0) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'the weights must add up to more than 0' });
    }
    const names = [
      ...e.variants.map((v, i) => ({ name: v.name ?? (many ? undefined : DEFAULT_VARIANT), list: 'variants', i })),
      ...e.shadow.map((sh, i) => ({ name: sh.name as string | undefined, list: 'shadow', i })),
    ];
    const seen = new Map<string, string>();
    for (const { name: n, list, i } of names) {
      if (n === undefined) continue;
      const first = seen.get(n);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [list, i, 'name'], message: `"${n}" is already the name of ${first}; names must be unique in an endpoint` });
      else seen.set(n, `${list}[${i}]`);
    }
  });

export const gatewayFileSchema = z.strictObject({
  endpoints: z
    .record(name, endpointSchema, { error: required('a mapping of endpoint names to endpoints') })
    .refine((r) => Object.keys(r).length > 0, 'must define at least one endpoint'),
  default_endpoint: name.optional(),
});

export type GatewayFile = z.infer<typeof gatewayFileSchema>;

/**
 * `default_endpoint` against the endpoint names. Checked on the raw document, apart from
 * the schema, so that it is reported even when an endpoint has problems of its own.
 */
export function defaultEndpointProblem(doc: Record<string, unknown>): string | null {
  const endpoints = doc.endpoints;
  if (typeof endpoints !== 'object' || endpoints === null || Array.isArray(endpoints)) return null;
  const names = Object.keys(endpoints);
  const chosen = doc.default_endpoint;
  if (typeof chosen === 'string' && !names.includes(chosen)) return `"${chosen}" is not an endpoint (endpoints: ${names.join(', ')})`;
  if (chosen === undefined && names.length > 1) return `is required with several endpoints: the one /invocations serves (one of ${names.join(', ')})`;
  return null;
}

/** The name of the only variant of an endpoint that does not name it. */
export const DEFAULT_VARIANT = 'default';

/** The plain spec of a file that passed the schema. */
export function gatewaySpec(file: GatewayFile): GatewaySpec {
  const endpoints = Object.entries(file.endpoints).map(([endpointName, e]): EndpointSpec => {
    const even = e.variants.every((v) => v.weight === undefined);
    return {
      name: endpointName,
      variants: e.variants.map((v) => ({ name: v.name ?? DEFAULT_VARIANT, model: v.model, weight: even ? 1 : v.weight!, ...runtimeOf(v) })),
      shadows: e.shadow.map((s) => ({ name: s.name, model: s.model, sample: s.sample, maxQueue: s.max_queue, concurrency: s.concurrency, ...runtimeOf(s) })),
      sticky: e.sticky === undefined ? null : e.sticky.header !== undefined ? { header: e.sticky.header.toLowerCase() } : { json: e.sticky.json!.split('.') },
      variantOverride: e.variant_override,
      maxBodyBytes: e.max_body_size ?? null,
    };
  });
  return { endpoints, defaultEndpoint: file.default_endpoint ?? endpoints[0]!.name };
}

function runtimeOf(v: { runtime?: Runtime | undefined }): { runtime?: Runtime } {
  return v.runtime === undefined ? {} : { runtime: v.runtime };
}

/** `flowgate serve -m URI`: one endpoint, named after the model, with one variant. */
export function singleModelSpec(uri: string): GatewaySpec {
  const name = endpointNameOf(uri);
  return {
    endpoints: [{ name, variants: [{ name: DEFAULT_VARIANT, model: uri, weight: 1 }], shadows: [], sticky: null, variantOverride: true, maxBodyBytes: null }],
    defaultEndpoint: name,
  };
}

/** The registered model's name for models:/ URIs, else the last path segment (the model directory). */
function endpointNameOf(uri: string): string {
  try {
    const parsed = parseModelsUri(uri);
    return parsed.kind === 'logged-model' ? parsed.modelId : parsed.name;
  } catch {
    const segments = uri.split(/[\\/]+/).filter((s) => s !== '' && !s.endsWith(':'));
    return segments.pop() ?? 'model';
  }
}
