/**
 * `flowgate inspect URI`: what a model URI resolves to, as JSON.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveConfig } from '../config.js';
import { MlflowError } from '../errors.js';
import { createLogger } from '../logging.js';
import { readMLmodel } from '../model/mlmodel.js';
import { parseJsonLenient } from '../protocol/lenient-json.js';
import { resolveModel } from '../registry/index.js';
import { registryOptions } from '../server.js';

export interface InspectFlags {
  uri?: string | undefined;
  trackingUri?: string | undefined;
  cacheDir?: string | undefined;
}

export async function runInspect(flags: InspectFlags): Promise<number> {
  if (!flags.uri) {
    process.stderr.write('flowgate inspect: a model URI is required (see --help)\n');
    return 2;
  }
  const config = serveConfig({ modelUri: flags.uri, trackingUri: flags.trackingUri, cacheDir: flags.cacheDir, logLevel: 'warn' }, process.env);
  const logger = createLogger(config.logLevel, 2);
  try {
    const resolved = await resolveModel(config.modelUri, registryOptions(config, process.env, logger));
    const mlmodel = await readMLmodel(resolved.localPath);
    let inputExample: unknown = null;
    if (mlmodel.inputExample !== null) {
      try {
        inputExample = parseJsonLenient(await readFile(join(resolved.localPath, mlmodel.inputExample.artifactPath), 'utf8'));
      } catch {
        inputExample = null; // a missing or unreadable example is not an error of the URI
      }
    }
    const raw = mlmodel.raw.signature as Record<string, string | null> | undefined;
    const out = {
      name: resolved.name,
      version: resolved.version,
      stage: resolved.stage,
      aliases: resolved.aliases,
      source: resolved.source,
      local_path: resolved.localPath,
      flavors: mlmodel.flavors,
      signature: raw
        ? {
            inputs: raw.inputs ? JSON.parse(raw.inputs) : null,
            outputs: raw.outputs ? JSON.parse(raw.outputs) : null,
            params: raw.params ? JSON.parse(raw.params) : null,
          }
        : null,
      input_example: inputExample,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof MlflowError ? `${err.errorCode}: ${err.message}` : (err as Error).message;
    process.stderr.write(`flowgate inspect: ${message.split('\n')[0]}\n`);
    return 1;
  } finally {
    logger.flush();
  }
}
