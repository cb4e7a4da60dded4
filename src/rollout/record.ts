/**
 * A rollout's shared state, as registered-model tags of the model it promotes, so that
 * every replica (and a person in MLflow's UI) reads the same thing without a leader:
 *
 *   flowgate.rollout.<endpoint>.record   {"from_version","to_version","state","step",
 *                                         "step_started_at","started_at","paused_at"}
 *   flowgate.rollout.<endpoint>.failure  {"from_version","to_version","state","reason","at"}
 *   flowgate.rollout.<endpoint>.summary  one readable line
 *
 * The record is one tag so that it changes atomically. A failure (or an abort) is a tag of
 * its own that advancing replicas never write, so a step advance written from an older
 * read cannot erase a rollback another replica decided. Times are epoch milliseconds.
 */
import { z } from 'zod';

export type RecordState = 'running' | 'paused' | 'succeeded';
export type FailureState = 'failed' | 'aborted';

export interface RolloutRecord {
  fromVersion: string;
  toVersion: string;
  state: RecordState;
  /** index into the policy's steps */
  step: number;
  stepStartedAt: number;
  startedAt: number;
  /** while paused: when it was paused (the step's clock stops) */
  pausedAt: number | null;
}

export interface RolloutFailure {
  fromVersion: string;
  toVersion: string;
  state: FailureState;
  reason: string;
  at: number;
}

export const tagKeys = (endpoint: string) => ({
  record: `flowgate.rollout.${endpoint}.record`,
  failure: `flowgate.rollout.${endpoint}.failure`,
  summary: `flowgate.rollout.${endpoint}.summary`,
});

const recordJson = z.object({
  from_version: z.string(),
  to_version: z.string(),
  state: z.enum(['running', 'paused', 'succeeded']),
  step: z.number().int().min(0),
  step_started_at: z.number(),
  started_at: z.number(),
  paused_at: z.number().nullable().optional(),
});

const failureJson = z.object({
  from_version: z.string(),
  to_version: z.string(),
  state: z.enum(['failed', 'aborted']),
  reason: z.string(),
  at: z.number(),
});

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The record and failure in a model's tags; null for absent or unreadable ones (someone edited them by hand). */
export function readTags(endpoint: string, tags: Record<string, string>): { record: RolloutRecord | null; failure: RolloutFailure | null } {
  const keys = tagKeys(endpoint);
  const r = recordJson.safeParse(parseJson(tags[keys.record]));
  const f = failureJson.safeParse(parseJson(tags[keys.failure]));
  return {
    record: r.success
      ? {
          fromVersion: r.data.from_version,
          toVersion: r.data.to_version,
          state: r.data.state,
          step: r.data.step,
          stepStartedAt: r.data.step_started_at,
          startedAt: r.data.started_at,
          pausedAt: r.data.paused_at ?? null,
        }
      : null,
    failure: f.success ? { fromVersion: f.data.from_version, toVersion: f.data.to_version, state: f.data.state, reason: f.data.reason, at: f.data.at } : null,
  };
}

export function recordTag(r: RolloutRecord): string {
  return JSON.stringify({
    from_version: r.fromVersion,
    to_version: r.toVersion,
    state: r.state,
    step: r.step,
    step_started_at: r.stepStartedAt,
    started_at: r.startedAt,
    paused_at: r.pausedAt,
  });
}

export function failureTag(f: RolloutFailure): string {
  return JSON.stringify({ from_version: f.fromVersion, to_version: f.toVersion, state: f.state, reason: f.reason, at: f.at });
}
