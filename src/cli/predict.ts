/**
 * `flowgate predict`: the scoring pipeline without HTTP, like `mlflow models predict`: MLflow's
 * scoring codec over one loaded version.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { runtimeOptions, serveConfig } from '../config.js';
import { MlflowError } from '../errors.js';
import { createLogger } from '../logging.js';
import { fetchModelFiles, resolveModelVersion } from '../registry/index.js';
import { registryOptions } from '../server.js';
import { identityOf } from '../serving/follower.js';
import { runPipeline, SCORING_CODECS } from '../serving/codec.js';
import { LoadedVersion } from '../serving/loaded-version.js';

export interface PredictFlags {
  modelUri?: string | undefined;
  inputPath?: string | undefined;
  contentType?: string | undefined;
  outputPath?: string | undefined;
  trackingUri?: string | undefined;
  cacheDir?: string | undefined;
}

export async function runPredict(flags: PredictFlags): Promise<number> {
  if (!flags.modelUri || !flags.inputPath) {
    process.stderr.write('flowgate predict: -m/--model-uri and -i/--input-path are required (see --help)\n');
    return 2;
  }
  const format = flags.contentType ?? 'json';
  if (format !== 'json' && format !== 'csv') {
    process.stderr.write(`flowgate predict: --content-type must be json or csv, not '${format}'\n`);
    return 2;
  }
  const config = serveConfig({ modelUri: flags.modelUri, trackingUri: flags.trackingUri, cacheDir: flags.cacheDir, logLevel: 'warn' }, process.env);
  // stdout carries the predictions: logs go to stderr.
  const logger = createLogger(config.logLevel, 2);
  const registry = registryOptions(config, process.env, logger);
  const ref = await resolveModelVersion(config.modelUri, registry);
  const version = await LoadedVersion.load(identityOf(ref, await fetchModelFiles(ref, registry)), logger, null, runtimeOptions(config));
  try {
    const body = flags.inputPath === '-' ? await text(process.stdin) : await readFile(flags.inputPath, 'utf8');
    const codec = SCORING_CODECS[format];
    const { body: answer } = await runPipeline(codec, codec.parse(body, false), version, version.identity.name, false);
    const result = `${answer}\n`;
    if (flags.outputPath) await writeFile(flags.outputPath, result);
    else process.stdout.write(result);
    return 0;
  } catch (err) {
    if (err instanceof MlflowError) {
      process.stderr.write(`flowgate predict: ${err.errorCode}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await version.retire();
    logger.flush();
  }
}
