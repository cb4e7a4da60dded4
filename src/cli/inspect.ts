/**
 * `flowgate inspect URI`: what a model URI resolves to, as JSON. Reads the registry, the
 * MLmodel and the input example only: a model's large files are never downloaded.
 */
import { parseArtifactUri } from '../artifacts/index.js';
import { serveConfig } from '../config.js';
import { MlflowError } from '../errors.js';
import { createLogger } from '../logging.js';
import { parseMLmodel } from '../model/mlmodel.js';
import { parseJsonLenient } from '../protocol/lenient-json.js';
import { readModelFile, readModelMLmodel, resolveModelVersion } from '../registry/index.js';
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
    const registry = registryOptions(config, process.env, logger);
    const resolved = await resolveModelVersion(config.modelUri, registry);
    const mlmodel = parseMLmodel(await readModelMLmodel(resolved, registry), `${resolved.artifactUri}/MLmodel`);
    let inputExample: unknown = null;
    if (mlmodel.inputExample !== null) {
      try {
        const text = await readModelFile(resolved, mlmodel.inputExample.artifactPath, registry);
        inputExample = text === null ? null : parseJsonLenient(text.toString('utf8'));
      } catch {
        inputExample = null; // a missing or unreadable example is not an error of the URI
      }
    }
    const location = parseArtifactUri(resolved.artifactUri, resolved.trackingUri, registry.cwd);
    const raw = mlmodel.raw.signature as Record<string, string | null> | undefined;
    const out = {
      name: resolved.name,
      version: resolved.version,
      stage: resolved.stage,
      aliases: resolved.aliases,
      source: resolved.source,
      // where the files are on this machine; null for a remote store (inspect downloads nothing)
      local_path: location.kind === 'local' ? location.path : null,
      artifact_uri: resolved.artifactUri,
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
