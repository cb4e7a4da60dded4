/**
 * The endpoints file (`flowgate serve --config flowgate.yaml`): its zod schema, the checks
 * across fields, and the plain types the gateway is built from. `-m URI` is the same
 * thing with one endpoint of one variant.
 */
import { z } from 'zod';
import { byteSize } from '../config.js';
import { canonicalStage, parseModelsUri, parseRunsUri, uriScheme, validateAlias } from '../registry/uri.js';
import type { StickySource } from '../routing/sticky-key.js';
import type { BatchSettings, Runtime } from '../model/flavor.js';
import type { AccessSpec } from './access.js';
import type { FeedbackSpec } from './feedback.js';

/** How a variant or shadow names its model: the URI, and how it is run when it says so. */
export interface ModelUse {
  /** a model URI: models:/name@alias, models:/name/Stage, models:/name/3, runs:/..., a path */
  model: string;
  /** `runtime: python` runs this variant's model in the Python runtime (flavors/python) */
  runtime?: Runtime;
  /** max_batch_size / max_batch_delay_ms of the variant or its endpoint, over the serve flags */
  batching?: Partial<BatchSettings>;
}

export interface VariantSpec extends ModelUse {
  name: string;
  weight: number;
}

export interface ShadowSpec extends ModelUse {
  name: string;
  /** share of the endpoint's requests copied to the shadow, 0..1 */
  sample: number;
  /** shadow requests allowed to wait for a free slot; more are dropped */
  maxQueue: number;
  /** shadow requests run at once */
  concurrency: number;
}

export interface EndpointSpec {
  name: string;
  variants: VariantSpec[];
  shadows: ShadowSpec[];
  sticky: StickySource | null;
  /** whether `x-flowgate-variant: <name>` may force a variant */
  variantOverride: boolean;
  /** metric-gated progressive delivery from one variant to another, or null */
  rollout: RolloutSpec | null;
  /** remembering answers for online feedback, or null (no feedback route) */
  feedback: FeedbackSpec | null;
  /** bandit routing on the feedback reward, or null (the weights as given) */
  bandit: BanditSpec | null;
  /** `max_body_size`: this endpoint's request body limit in bytes; null for --max-body-size */
  maxBodyBytes: number | null;
  /** `auth`: tokens that open this endpoint only (admin tokens may also force a variant), or null */
  access: AccessSpec | null;
}

export interface BanditSpec {
  policy: 'epsilon_greedy' | 'thompson';
  /** epsilon_greedy: share explored evenly across the variants */
  epsilon: number;
  /** every variant keeps at least this share */
  minShare: number;
  /** seeds the draws (weights and routing), for reproducible runs; null = Math.random */
  seed: number | null;
}

/** Gates checked on a step's window; an absent gate is not checked. */
export interface RolloutGates {
  /** requests `to` must answer in a step before it may end (before that, the step waits) */
  minRequests: number;
  /** requests `to` must have answered before the error-rate gate may fail a step early */
  minRequestsToFail: number;
  maxErrorRate: number | null;
  /** p99 latency of `to` over p99 of `from` */
  maxP99Ratio: number | null;
  /** share of shadow copies on which `to` agreed with `from`, while at 0 % */
  minShadowAgreement: number | null;
  /** mean feedback reward of `to` minus that of `from` (negative: a tolerated loss), at step end */
  minRewardDelta: number | null;
  /** accuracy of `to` minus that of `from`, from labelled feedback, at step end */
  minAccuracyDelta: number | null;
  /** feedback items each side needs before the reward and accuracy gates are checked */
  minFeedback: number;
}

export interface RolloutSpec {
  /** the variant traffic moves away from; its URI is models:/<name>@<alias> */
  from: string;
  /** the variant traffic moves to (same registered model) */
  to: string;
  /** the registered model whose tags hold the rollout state and whose alias is promoted */
  registeredModel: string;
  /** the alias of `from`, moved to `to`'s version on success */
  fromAlias: string;
  /** % of traffic to `to`, increasing, ending at 100; 0 = shadow copies only */
  steps: number[];
  stepSeconds: number;
  /** a step that has not reached min_requests by then fails the rollout */
  maxStepSeconds: number;
  /** how often the registry's rollout tags are read and the gates checked */
  pollSeconds: number;
  gates: RolloutGates;
  onSuccess: 'promote' | 'none';
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
const batching = {
  max_batch_size: z.number({ error: required('a whole number') }).int('must be a whole number').min(1, 'must be >= 1 (1 turns batching off)').max(4096, 'must be <= 4096').optional(),
  max_batch_delay_ms: z.number({ error: required('a number of milliseconds') }).min(0, 'must be >= 0').max(10_000, 'must be <= 10000').optional(),
};

const variantSchema = z.strictObject({
  name: name.optional(),
  model,
  runtime,
  ...batching,
  weight: z.number({ error: required('a number') }).finite('must be a finite number').min(0, 'must be >= 0').optional(),
});

const shadowSchema = z.strictObject({
  name,
  model,
  runtime,
  ...batching,
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

const positive = z.number({ error: required('a number') }).positive('must be > 0');
const share = z.number({ error: required('a number') }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const count = z.number({ error: required('a whole number') }).int('must be a whole number').min(0, 'must be >= 0');

const rolloutSchema = z.strictObject({
  from: name,
  to: name,
  steps: z
    .array(z.number({ error: required('a number') }).min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100'), { error: required('a list of percentages') })
    .min(1, 'must list at least one step')
    .default([0, 10, 50, 100])
    .superRefine((steps, ctx) => {
      if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) ctx.addIssue({ code: 'custom', message: 'must increase, e.g. [0, 10, 50, 100]' });
      if (steps[steps.length - 1] !== 100) ctx.addIssue({ code: 'custom', message: 'must end at 100' });
    }),
  step_seconds: positive.default(300),
  max_step_seconds: positive.optional(),
  poll_seconds: positive.default(5),
  gates: z
    .strictObject({
      min_requests: count.default(100),
      min_requests_to_fail: count.default(10),
      max_error_rate: share.optional(),
      max_p99_ratio: positive.optional(),
      min_shadow_agreement: share.optional(),
      min_reward_delta: z.number({ error: required('a number') }).finite('must be a finite number').optional(),
      min_accuracy_delta: z.number({ error: required('a number') }).min(-1, 'must be between -1 and 1').max(1, 'must be between -1 and 1').optional(),
      min_feedback: count.default(20),
    })
    .default({ min_requests: 100, min_requests_to_fail: 10, min_feedback: 20 }),
  on_success: z.enum(['promote', 'none'], { error: 'must be promote or none' }).default('promote'),
  on_failure: z.enum(['rollback'], { error: 'must be rollback' }).default('rollback'),
});

const tokenList = z
  .array(z.string({ error: required('a token (a string)') }).min(16, 'must be at least 16 characters: a token is a secret').regex(/^\S+$/, 'must not contain spaces'), { error: required('a list of tokens') })
  .default([]);
const tokenFile = z.string({ error: required('a file path') }).min(1, 'must be a file path, not empty').optional();

const endpointSchema = z
  .strictObject({
    variants: z.array(variantSchema, { error: required('a list of variants') }).min(1, 'must list at least one variant'),
    sticky: stickySchema.optional(),
    shadow: z.array(shadowSchema, { error: required('a list of shadow variants') }).default([]),
    variant_override: z.boolean({ error: required('true or false') }).default(true),
    rollout: rolloutSchema.optional(),
    feedback: z
      .strictObject({
        capacity: z.number({ error: required('a whole number') }).int('must be a whole number').min(1, 'must be >= 1').default(10_000),
        task: z.enum(['auto', 'classification', 'regression'], { error: 'must be auto, classification or regression' }).default('auto'),
        output: z.string({ error: required('an output name') }).min(1, 'must not be empty').optional(),
      })
      .optional(),
    routing: z
      .strictObject({
        policy: z.enum(['weighted', 'epsilon_greedy', 'thompson'], { error: 'must be weighted, epsilon_greedy or thompson' }).default('weighted'),
        epsilon: share.default(0.1),
        min_share: share.default(0.05),
        seed: z.number({ error: required('a whole number') }).int('must be a whole number').optional(),
      })
      .optional(),
    ...batching,
    max_body_size: z
      .union([z.number().int('must be a whole number of bytes').min(1, 'must be >= 1'), z.string().transform((text, ctx) => byteSize(text, ctx))], {
        error: 'must be a size such as 20MB, 1GiB or a number of bytes',
      })
      .optional(),
    auth: z
      .strictObject({
        tokens: tokenList,
        admin_tokens: tokenList,
        token_file: tokenFile,
        admin_token_file: tokenFile,
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.auth !== undefined && e.auth.tokens.length + e.auth.admin_tokens.length === 0 && e.auth.token_file === undefined && e.auth.admin_token_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'must give tokens, admin_tokens, token_file or admin_token_file' });
    }
    if (e.rollout !== undefined) rolloutProblems(e.rollout, e.variants, ctx);
    const bandit = e.routing !== undefined && e.routing.policy !== 'weighted';
    if (bandit && e.rollout !== undefined) ctx.addIssue({ code: 'custom', path: ['routing', 'policy'], message: 'cannot be a bandit on an endpoint with a rollout: both set the weights' });
    if (bandit && e.routing!.min_share * e.variants.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['routing', 'min_share'], message: `must be at most 1 / ${e.variants.length} (the number of variants)` });
    }
    const rewardGates = e.rollout?.gates.min_reward_delta !== undefined || e.rollout?.gates.min_accuracy_delta !== undefined;
    if ((bandit || rewardGates) && e.feedback === undefined) {
      ctx.addIssue({ code: 'custom', path: bandit ? ['routing', 'policy'] : ['rollout', 'gates'], message: `${bandit ? 'a bandit policy' : 'a reward or accuracy gate'} needs feedback: add \`feedback: {}\` to the endpoint` });
    }
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

type RolloutFile = z.infer<typeof rolloutSchema>;

/** The registered model and alias of a `models:/<name>@<alias>` URI, or null. */
function aliasTarget(uri: string): { name: string; alias: string } | null {
  try {
    const parsed = parseModelsUri(uri);
    return parsed.kind === 'alias' ? { name: parsed.name, alias: parsed.alias } : null;
  } catch {
    return null;
  }
}

function registeredName(uri: string): string | null {
  try {
    const parsed = parseModelsUri(uri);
    return parsed.kind === 'logged-model' ? null : parsed.name;
  } catch {
    return null;
  }
}

/** `from` and `to` name variants of the endpoint, of one registered model, `from` by alias. */
function rolloutProblems(r: RolloutFile, variants: { name?: string | undefined; model: string }[], ctx: z.RefinementCtx): void {
  const find = (role: 'from' | 'to') => {
    const found = variants.find((v) => v.name === r[role]);
    if (found === undefined) {
      ctx.addIssue({ code: 'custom', path: ['rollout', role], message: `"${r[role]}" is not a variant of this endpoint (variants: ${variants.map((v) => v.name ?? DEFAULT_VARIANT).join(', ')})` });
    }
    return found;
  };
  const from = find('from');
  const to = find('to');
  if (r.from === r.to) ctx.addIssue({ code: 'custom', path: ['rollout', 'to'], message: 'must be another variant than `from`' });
  if (from === undefined || to === undefined) return;
  const target = aliasTarget(from.model);
  if (target === null) {
    ctx.addIssue({ code: 'custom', path: ['rollout', 'from'], message: `must be a variant serving a registry alias (models:/<name>@<alias>), not ${from.model}: a rollout promotes by moving that alias` });
    return;
  }
  if (registeredName(to.model) !== target.name) {
    ctx.addIssue({ code: 'custom', path: ['rollout', 'to'], message: `must be a variant serving a version of the registered model "${target.name}" (models:/${target.name}@<alias> or /<version>), not ${to.model}` });
  }
  if (r.max_step_seconds !== undefined && r.max_step_seconds < r.step_seconds) {
    ctx.addIssue({ code: 'custom', path: ['rollout', 'max_step_seconds'], message: `must be >= step_seconds (${r.step_seconds})` });
  }
}

function rolloutSpec(r: RolloutFile, variants: { name?: string | undefined; model: string }[]): RolloutSpec {
  const target = aliasTarget(variants.find((v) => v.name === r.from)!.model)!;
  return {
    from: r.from,
    to: r.to,
    registeredModel: target.name,
    fromAlias: target.alias,
    steps: r.steps,
    stepSeconds: r.step_seconds,
    maxStepSeconds: r.max_step_seconds ?? 4 * r.step_seconds,
    pollSeconds: r.poll_seconds,
    gates: {
      minRequests: r.gates.min_requests,
      minRequestsToFail: r.gates.min_requests_to_fail,
      maxErrorRate: r.gates.max_error_rate ?? null,
      maxP99Ratio: r.gates.max_p99_ratio ?? null,
      minShadowAgreement: r.gates.min_shadow_agreement ?? null,
      minRewardDelta: r.gates.min_reward_delta ?? null,
      minAccuracyDelta: r.gates.min_accuracy_delta ?? null,
      minFeedback: r.gates.min_feedback,
    },
    onSuccess: r.on_success,
  };
}

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

/**
 * The plain spec of a file that passed the schema; `readTokenFile` reads a token file named in an
 * endpoint's `auth` (the caller resolves its path and reports what cannot be read).
 */
export function gatewaySpec(file: GatewayFile, readTokenFile: (path: string) => string[]): GatewaySpec {
  const readTokens = (path: string | undefined): string[] => (path === undefined ? [] : readTokenFile(path));
  const endpoints = Object.entries(file.endpoints).map(([endpointName, e]): EndpointSpec => {
    const even = e.variants.every((v) => v.weight === undefined);
    return {
      name: endpointName,
      variants: e.variants.map((v) => ({ name: v.name ?? DEFAULT_VARIANT, model: v.model, weight: even ? 1 : v.weight!, ...runtimeOf(v), ...batchingOf(e, v) })),
      shadows: e.shadow.map((s) => ({ name: s.name, model: s.model, sample: s.sample, maxQueue: s.max_queue, concurrency: s.concurrency, ...runtimeOf(s), ...batchingOf(e, s) })),
      sticky: e.sticky === undefined ? null : e.sticky.header !== undefined ? { header: e.sticky.header.toLowerCase() } : { json: e.sticky.json!.split('.') },
      variantOverride: e.variant_override,
      rollout: e.rollout === undefined ? null : rolloutSpec(e.rollout, e.variants),
      feedback: e.feedback === undefined ? null : { capacity: e.feedback.capacity, task: e.feedback.task, output: e.feedback.output ?? null },
      bandit:
        e.routing === undefined || e.routing.policy === 'weighted'
          ? null
          : { policy: e.routing.policy, epsilon: e.routing.epsilon, minShare: e.routing.min_share, seed: e.routing.seed ?? null },
      maxBodyBytes: e.max_body_size ?? null,
      access: e.auth === undefined ? null : { tokens: [...e.auth.tokens, ...readTokens(e.auth.token_file)], adminTokens: [...e.auth.admin_tokens, ...readTokens(e.auth.admin_token_file)] },
    };
  });
  return { endpoints, defaultEndpoint: file.default_endpoint ?? endpoints[0]!.name };
}

function runtimeOf(v: { runtime?: Runtime | undefined }): { runtime?: Runtime } {
  return v.runtime === undefined ? {} : { runtime: v.runtime };
}

type BatchKeys = { max_batch_size?: number | undefined; max_batch_delay_ms?: number | undefined };

/** A variant's (or shadow's) batching keys over its endpoint's; nothing when neither sets one. */
function batchingOf(endpoint: BatchKeys, use: BatchKeys): { batching?: Partial<BatchSettings> } {
  const size = use.max_batch_size ?? endpoint.max_batch_size;
  const delay = use.max_batch_delay_ms ?? endpoint.max_batch_delay_ms;
  if (size === undefined && delay === undefined) return {};
  return { batching: { ...(size === undefined ? {} : { maxBatchSize: size }), ...(delay === undefined ? {} : { maxBatchDelayMs: delay }) } };
}

/** `flowgate serve -m URI`: one endpoint, named after the model, with one variant. */
export function singleModelSpec(uri: string): GatewaySpec {
  const name = endpointNameOf(uri);
  return {
    endpoints: [{ name, variants: [{ name: DEFAULT_VARIANT, model: uri, weight: 1 }], shadows: [], sticky: null, variantOverride: true, rollout: null, feedback: null, bandit: null, maxBodyBytes: null, access: null }],
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
