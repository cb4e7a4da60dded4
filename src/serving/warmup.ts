/**
 * Warm-up: a freshly loaded version answers its own serving input example once before it
 * takes traffic, so a version that cannot predict is never swapped in.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPipeline, SCORING_CODECS } from './codec.js';
import type { LoadedVersion } from './loaded-version.js';

/** Returns whether an example was run; throws when the version fails on it. */
export async function warmUp(version: LoadedVersion): Promise<boolean> {
  const info = version.mlmodel.inputExample;
  if (info === null || info.servingInputPath === null) return false;
  let body: string;
  try {
    body = await readFile(join(version.identity.localPath, info.servingInputPath), 'utf8');
  } catch {
    return false; // MLmodel names an example the artifact store did not keep
  }
  const codec = SCORING_CODECS.json;
  await runPipeline(codec, codec.parse(body, false), version, version.identity.name, false);
  return true;
}
