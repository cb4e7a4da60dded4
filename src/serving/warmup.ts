/**
 * Warm-up: a freshly loaded version answers its own serving input example once before it
 * takes traffic, so a version that cannot predict is never swapped in. A version only its
 * replica threads hold warms up on one of them.
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
  if (version.inline) await runPipeline(codec, codec.parse(body, false), version, version.identity.name, false);
  else await version.offload(codec.name, { bytes: new TextEncoder().encode(body) }, version.identity.name, false).done;
  return true;
}
