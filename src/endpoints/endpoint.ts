/**
 * One endpoint as served: its variants with their weights, its shadows, and the routing
 * decision for a request (forced variant, sticky key, weighted draw). Immutable: a new
 * config builds new Endpoints, and the gateway swaps them in at once.
 */
import { MlflowError } from '../errors.js';
import { WeightedSplit } from '../routing/split.js';
import { keyAtPath, type StickySource } from '../routing/sticky-key.js';
import { ShadowQueue } from '../routing/shadow-queue.js';
import type { HeaderReader, ScoringEndpoint, ScoringVariant, VariantLabels } from '../serving/scoring-endpoint.js';
import type { EndpointSpec } from './config.js';
import { modelKey, type FollowedModel } from './model-pool.js';
import type { Runtime } from '../model/flavor.js';

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
  readonly sample: number;
  readonly queue: ShadowQueue;
}

export class Endpoint implements ScoringEndpoint {
  readonly name: string;
  readonly variants: readonly Variant[];
  readonly shadows: readonly Shadow[];
  readonly sticky: StickySource | null;
  readonly variantOverride: boolean;
  /** flowgate.yaml `max_body_size`, or null for the server's --max-body-size */
  readonly maxBodyBytes: number | null;
  /** the JSON path of the sticky key, when routing needs the parsed body */
  readonly stickyPath: readonly string[] | null;
  private readonly split: WeightedSplit | null;
  private readonly stickyHeader: string | null;

  /** `models` holds the loaded model of every variant and shadow URI of `spec`. */
  constructor(spec: EndpointSpec, models: ReadonlyMap<string, FollowedModel>) {
    this.name = spec.name;
    const modelOf = (v: { model: string; runtime?: Runtime | undefined }): FollowedModel => models.get(modelKey(v.model, v.runtime))!;
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
    this.stickyHeader = spec.sticky !== null && 'header' in spec.sticky ? spec.sticky.header : null;
    this.stickyPath = spec.sticky !== null && 'json' in spec.sticky ? spec.sticky.json : null;
    this.split = this.variants.length > 1 ? new WeightedSplit(spec.name, this.variants) : null;
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
    return this.variants[key === undefined || key === null || key === '' ? split.random() : split.sticky(key)]!;
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
