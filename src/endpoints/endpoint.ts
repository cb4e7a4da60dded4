/**
 * One endpoint as served: its variants with their weights, its shadows, and the routing
 * decision for a request (forced variant, sticky key, weighted draw). Its spec is
 * immutable: a new config builds new Endpoints, and the gateway swaps them in at once.
 * Only the weights move while it serves, when a rollout drives them (setWeights), and
 * the variant stats it feeds outlive it (they are the gateway's, per endpoint name).
 */
import { MlflowError } from '../errors.js';
import { WeightedSplit } from '../routing/split.js';
import { keyAtPath, type StickySource } from '../routing/sticky-key.js';
import { ShadowQueue } from '../routing/shadow-queue.js';
import type { HeaderReader, ScoringEndpoint, ScoringVariant, VariantLabels } from '../serving/scoring-endpoint.js';
import { EndpointAccess } from './access.js';
import { banditWeights, seededRandom } from './bandit.js';
import type { BanditSpec, EndpointSpec, ModelUse, RolloutSpec } from './config.js';
import { FeedbackLog } from './feedback.js';
import { modelKey, type FollowedModel } from './model-pool.js';
import { VariantStats } from './variant-stats.js';

/** The request header that forces a variant. */
export const VARIANT_HEADER = 'x-flowgate-variant';

export interface Variant extends ScoringVariant {
  readonly name: string;
  readonly weight: number;
  readonly uri: string;
  readonly model: FollowedModel;
  /** metric labels, built once */
  readonly labels: VariantLabels;
}

export interface Shadow extends Variant {
  /** share of requests copied to it (for a rollout's target: 1 while at 0 %, else 0) */
  readonly sample: number;
  readonly queue: ShadowQueue;
}

/** The shadow copies a rollout's target gets while at 0 %: a small queue, dropped beyond it. */
const ROLLOUT_SHADOW_QUEUE = 100;
const ROLLOUT_SHADOW_CONCURRENCY = 2;

export class Endpoint implements ScoringEndpoint {
  readonly name: string;
  readonly variants: readonly Variant[];
  readonly shadows: readonly Shadow[];
  readonly sticky: StickySource | null;
  readonly variantOverride: boolean;
  /** flowgate.yaml `max_body_size`, or null for the server's --max-body-size */
  readonly maxBodyBytes: number | null;
  /** flowgate.yaml `auth`: this endpoint's own tokens and admin tokens, or null */
  readonly access: EndpointAccess | null;
  /** the JSON path of the sticky key, when routing needs the parsed body */
  readonly stickyPath: readonly string[] | null;
  readonly rollout: RolloutSpec | null;
  /** what each variant answered, and its shadow outcomes */
  readonly stats: VariantStats;
  /** the answers remembered for feedback, when the endpoint takes feedback */
  readonly feedback: FeedbackLog | null;
  readonly bandit: BanditSpec | null;
  /** uniform draws for routing: seeded with a bandit's seed */
  private readonly rng: () => number;
  private split: WeightedSplit | null;
  private currentWeights: readonly number[];
  private readonly stickyHeader: string | null;

  /**
   * `models` holds the loaded model of every variant and shadow URI of `spec`. With a
   * rollout, `weights` are where it stands (its target at 0 % before the first decision).
   */
  constructor(
    spec: EndpointSpec,
    models: ReadonlyMap<string, FollowedModel>,
    stats = new VariantStats(),
    weights?: readonly number[],
    feedback: FeedbackLog | null = spec.feedback === null ? null : new FeedbackLog(spec.feedback),
  ) {
    this.name = spec.name;
    const modelOf = (use: ModelUse): FollowedModel => models.get(modelKey(use))!;
    this.variants = spec.variants.map((v) => ({ name: v.name, weight: v.weight, uri: v.model, model: modelOf(v), labels: { endpoint: spec.name, variant: v.name } }));
    this.shadows = spec.shadows.map((s) => ({
      name: s.name,
      weight: 0,
      uri: s.model,
      model: modelOf(s),
      labels: { endpoint: spec.name, variant: s.name },
      sample: s.sample,
      queue: new ShadowQueue(s.maxQueue, s.concurrency),
    }));
    this.sticky = spec.sticky;
    this.variantOverride = spec.variantOverride;
    this.maxBodyBytes = spec.maxBodyBytes;
    this.access = spec.access === null ? null : new EndpointAccess(spec.access);
    this.stickyHeader = spec.sticky !== null && 'header' in spec.sticky ? spec.sticky.header : null;
    this.stickyPath = spec.sticky !== null && 'json' in spec.sticky ? spec.sticky.json : null;
    this.rollout = spec.rollout;
    this.stats = stats;
    this.feedback = feedback;
    this.bandit = spec.bandit;
    this.rng = spec.bandit?.seed != null ? seededRandom(spec.bandit.seed) : Math.random;
    this.currentWeights = this.variants.map((v) => v.weight);
    this.split = null;
    const rollout = spec.rollout;
    if (rollout !== null) {
      const target = this.variantNamed(rollout.to);
      const endpoint = this;
      // While the rollout is at 0 %, its target answers copies of the requests.
      this.shadows = [
        ...this.shadows,
        {
          ...target,
          weight: 0,
          get sample() {
            return endpoint.shadowTarget ? 1 : 0;
          },
          queue: new ShadowQueue(ROLLOUT_SHADOW_QUEUE, ROLLOUT_SHADOW_CONCURRENCY),
        },
      ];
      this.setWeights(weights ?? this.variants.map((v) => (v.name === rollout.to ? 0 : v.weight)), false);
    } else {
      this.setWeights(this.currentWeights, false);
      this.rebalance();
    }
  }

  /** With a bandit policy: the weights from the variants' feedback rewards so far. */
  rebalance(): void {
    if (this.bandit === null) return;
    const arms = this.variants.map((v) => this.stats.snapshot(v.name));
    this.setWeights(banditWeights(this.bandit, arms, this.rng));
  }

  get remembersPredictions(): boolean {
    return this.feedback !== null;
  }

  observed(variant: string, seconds: number, failed: boolean): void {
    this.stats.request(variant, seconds, failed);
  }

  observedShadow(shadow: string, outcome: 'agree' | 'disagree' | 'error'): void {
    this.stats.shadow(shadow, outcome);
  }

  answered(requestId: string, variant: string, version: string | null, predictions: string): void {
    this.feedback?.remember(requestId, variant, version, predictions);
  }

  /** Whether the rollout's target gets shadow copies (set by the rollout, at its 0 % step). */
  shadowTarget = false;

  /** The weights routing uses now, in variant order. */
  get weights(): readonly number[] {
    return this.currentWeights;
  }

  /**
   * Routes by these weights from now on (one per variant; they must add up to more than 0).
   * Sticky keys move only to or away from variants whose weight changed (see WeightedSplit).
   */
  setWeights(weights: readonly number[], shadowTarget = this.shadowTarget): void {
    this.shadowTarget = shadowTarget;
    if (this.split !== null && weights.every((w, i) => w === this.currentWeights[i])) return;
    this.currentWeights = [...weights];
    this.split = this.variants.length > 1 ? new WeightedSplit(this.name, this.variants.map((v, i) => ({ name: v.name, weight: weights[i]! }))) : null;
  }

  /**
   * The variant a request goes to: the one `x-flowgate-variant` names (when allowed), else
   * the one its sticky key hashes to, else a weighted draw. `doc` is the parsed JSON body
   * when `stickyPath` is set (undefined otherwise, or when the body is not JSON).
   */
  route(header: HeaderReader, doc?: unknown): Variant {
    if (this.variantOverride) {
      const forced = header(VARIANT_HEADER);
      if (forced !== undefined && forced !== '') return this.variantNamed(forced);
    }
    const split = this.split;
    if (split === null) return this.variants[0]!;
    const key = this.stickyHeader !== null ? header(this.stickyHeader) : this.stickyPath !== null ? keyAtPath(doc, this.stickyPath) : null;
    return this.variants[key === undefined || key === null || key === '' ? split.random(this.rng()) : split.sticky(key)]!;
  }

  variantNamed(name: string): Variant {
    for (const v of this.variants) if (v.name === name) return v;
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `Endpoint '${this.name}' has no variant '${name}' (variants: ${this.variants.map((v) => v.name).join(', ')}).`,
    );
  }

  /** The variant serving registry version `version` now (a pinned request). */
  pinnedVariant(version: string): Variant {
    for (const variant of this.variants) {
      if (variant.model.served.current()?.identity.version === version) return variant;
    }
    const served = this.servedVersions();
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `Model '${this.name}' version '${version}' is not served here (versions served: ${served.length > 0 ? served.join(', ') : 'none'}).`,
    );
  }

  /** The registry versions the variants serve now, in variant order, without repeats. */
  servedVersions(): string[] {
    const out: string[] = [];
    for (const v of this.variants) {
      const version = v.model.served.current()?.identity.version;
      if (version !== undefined && version !== null && !out.includes(version)) out.push(version);
    }
    return out;
  }

  /** Every variant has a model loaded. */
  ready(): boolean {
    return this.variants.every((v) => v.model.served.current() !== null);
  }
}
