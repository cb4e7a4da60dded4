/**
 * What the scorer needs of an endpoint, a variant and a shadow: the routing decision and
 * the served models. endpoints/ builds them from the config; serving only reads them.
 */
import type { ShadowQueue } from '../routing/shadow-queue.js';
import type { ServedModel } from './served-model.js';

/** Reads a request header by lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

export type VariantLabels = {
  endpoint: string;
  variant: string;
};

/** What the scorer needs of a variant (endpoints/ builds them). */
export interface ScoringVariant {
  readonly name: string;
  readonly model: { readonly served: ServedModel };
  /** metric labels, built once */
  readonly labels: VariantLabels;
}

export interface ScoringShadow extends ScoringVariant {
  /** the share of answered requests it sees */
  readonly sample: number;
  readonly queue: ShadowQueue;
}

/** What the scorer needs of an endpoint: its routing decision and its shadows. */
export interface ScoringEndpoint {
  readonly name: string;
  /** the routing needs the parsed JSON body (a sticky key in it) */
  readonly stickyPath: readonly string[] | null;
  readonly shadows: readonly ScoringShadow[];
  /** The variant for a request (throws an MlflowError for an unknown forced variant). */
  route(header: HeaderReader, doc: unknown): ScoringVariant;
  /** The variant serving registry version `version` (throws RESOURCE_DOES_NOT_EXIST when none does). */
  pinnedVariant(version: string): ScoringVariant;
  /** whether answered requests' predictions are wanted (online feedback remembers them) */
  readonly remembersPredictions: boolean;
  /** Told of every routed request (rollout gates and the dashboard read these). */
  observed(variant: string, seconds: number, failed: boolean): void;
  /** Told of every shadow copy's outcome. */
  observedShadow(shadow: string, outcome: 'agree' | 'disagree' | 'error'): void;
  /** An answered request's predictions, when remembersPredictions. */
  answered(requestId: string, variant: string, version: string | null, predictions: string): void;
}
