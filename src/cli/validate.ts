/**
 * `flowgate validate FILE`: checks an endpoints file without serving it, listing every
 * problem with its line and path. `--resolve` also asks the registry what each model URI
 * points at now and reads each version's MLmodel (nothing else is downloaded) to check
 * that flowgate has a loader for its flavor: "valid" means `serve` will start.
 */
import { serveConfig } from '../config.js';
import type { GatewaySpec } from '../endpoints/config.js';
import { ConfigFileError, readConfigFile } from '../endpoints/config-file.js';
import { createLogger } from '../logging.js';
import { checkServableFlavor } from '../../flavors/index.js';
import { parseMLmodel, servingFlavorName } from '../model/mlmodel.js';
import { readModelMLmodel, resolveModelVersion } from '../registry/index.js';
import { registryOptions } from '../server.js';

export interface ValidateFlags {
  file?: string | undefined;
  resolve?: boolean | undefined;
  trackingUri?: string | undefined;
}

export async function runValidate(flags: ValidateFlags): Promise<number> {
  if (!flags.file) {
    process.stderr.write('flowgate validate: an endpoints file is required (see --help)\n');
    return 2;
  }
  let spec: GatewaySpec;
  try {
    spec = (await readConfigFile(flags.file)).spec;
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const resolved = flags.resolve ? await resolveAll(spec, flags) : '';
  if (resolved === null) return 1;
  process.stdout.write(`${flags.file}: valid\n${summary(spec)}${resolved}`);
  return 0;
}

function summary(spec: GatewaySpec): string {
  let out = '';
  for (const e of spec.endpoints) {
    const total = e.variants.reduce((sum, v) => sum + v.weight, 0);
    out += `  endpoint ${e.name}${e.name === spec.defaultEndpoint ? ' (default: /invocations)' : ''}`;
    out += e.sticky === null ? '\n' : ` sticky on ${'header' in e.sticky ? `header ${e.sticky.header}` : `json ${e.sticky.json.join('.')}`}\n`;
    for (const v of e.variants) out += `    ${v.name}: ${formatShare(v.weight / total)} ${v.model}\n`;
    for (const s of e.shadows) out += `    ${s.name}: shadow, sample ${s.sample} ${s.model}\n`;
  }
  return out;
}

function formatShare(share: number): string {
  return `${Math.round(share * 10000) / 100}%`;
}

/**
 * Resolves every model URI once and checks its flavor; what each points at (to print after
 * "valid"), or null when any fails (each failure already written to stderr).
 */
async function resolveAll(spec: GatewaySpec, flags: ValidateFlags): Promise<string | null> {
  const config = serveConfig({ config: flags.file, trackingUri: flags.trackingUri, logLevel: 'warn' }, process.env);
  const logger = createLogger(config.logLevel, 2);
  const registry = registryOptions(config, process.env, logger);
  const uris = [...new Set(spec.endpoints.flatMap((e) => [...e.variants.map((v) => v.model), ...e.shadows.map((s) => s.model)]))];
  let out = '';
  let failures = 0;
  for (const uri of uris) {
    try {
      const ref = await resolveModelVersion(uri, registry);
      const flavor = servingFlavorName(parseMLmodel(await readModelMLmodel(ref, registry), `${ref.artifactUri}/MLmodel`));
      checkServableFlavor(flavor);
      out += `  ${uri} -> ${ref.name !== null && ref.version !== null ? `${ref.name} version ${ref.version}` : ref.artifactUri} (${flavor})\n`;
    } catch (err) {
      failures++;
      process.stderr.write(`  ${uri}: ${(err as Error).message}\n`);
    }
  }
  logger.flush();
  if (failures > 0) {
    process.stderr.write(`${flags.file}: ${failures} model URI${failures === 1 ? '' : 's'} cannot be served\n`);
    return null;
  }
  return out;
}
