/**
 * "Latest version per stage", shared by the local stores. The order is the SQL store's
 * (SqlRegisteredModel.to_mlflow_entity): versions ascending, each stage placed where its
 * first version appears, its entry replaced by higher versions. `@latest` takes the first
 * entry of that list, which is not always the highest version (spec §5.3 quirk).
 */
import { notFound } from '../errors.js';
import type { ModelVersion, RegistryStore } from './types.js';
import { STAGE_DELETED_INTERNAL } from './uri.js';

export function latestPerStage<T>(versions: { stage: string; version: number; item: T }[]): T[] {
  const byStage = new Map<string, { version: number; item: T }>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    if (v.stage === STAGE_DELETED_INTERNAL) continue;
    const seen = byStage.get(v.stage);
    if (seen === undefined || seen.version < v.version) byStage.set(v.stage, { version: v.version, item: v.item });
  }
  return [...byStage.values()].map((v) => v.item);
}

/** The reserved `@latest` alias, as the file and SQL stores answer it. */
export async function latestVersionAlias(store: RegistryStore, name: string): Promise<ModelVersion> {
  const [first] = await store.getLatestVersions(name, null);
  if (first === undefined) throw notFound(`Latest version not found for model ${name}.`);
  return first;
}
