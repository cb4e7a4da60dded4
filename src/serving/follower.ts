/**
 * Follows a model URI: re-resolves it every poll interval and, when a stage or alias
 * points at another version, downloads, loads and warms the new version up before
 * swapping it in. The old version keeps serving through every failure; failures are
 * retried with backoff.
 */
import type { Logger } from 'pino';
import { fetchModelFiles, resolveModelVersion, type ModelVersionRef, type RegistryOptions } from '../registry/index.js';
import type { Metrics } from '../metrics.js';
import { traced } from '../tracing.js';
import { ModelVersion, type ModelIdentity } from './model-version.js';
import type { ServedModel } from './served-model.js';
import { warmUp } from './warmup.js';

export interface FollowerOptions {
  uri: string;
  served: ServedModel;
  registry: RegistryOptions;
  intervalSeconds: number;
  logger: Logger;
  metrics: Metrics;
}

const MAX_BACKOFF_EXPONENT = 10;

export function identityOf(ref: ModelVersionRef, localPath: string): ModelIdentity {
  const fallbackName = localPath.split(/[\\/]/).filter(Boolean).pop() ?? localPath;
  return { name: ref.name ?? fallbackName, version: ref.version, uri: ref.uri, localPath };
}

/** Resolve, download, load and warm up one version of `uri`. */
export const loadVersion = (ref: ModelVersionRef, options: LoadOptions): Promise<ModelVersion> =>
  traced('model.load', () => loadVersionNow(ref, options), { 'flowgate.model_uri': ref.uri, 'flowgate.model': ref.name ?? '', 'flowgate.version': ref.version ?? '' });

type LoadOptions = Pick<FollowerOptions, 'registry' | 'logger' | 'metrics'>;

async function loadVersionNow(ref: ModelVersionRef, options: LoadOptions): Promise<ModelVersion> {
  const started = process.hrtime.bigint();
  const localPath = await fetchModelFiles(ref, options.registry);
  const version = await ModelVersion.load(identityOf(ref, localPath), options.logger);
  try {
    await warmUp(version);
  } catch (err) {
    await version.retire();
    throw new Error(`warm-up with the model's input example failed: ${(err as Error).message}`, { cause: err });
  }
  options.metrics.loadSeconds.observe({ model: version.identity.name }, Number(process.hrtime.bigint() - started) / 1e9);
  return version;
}

export class Follower {
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  /** what the URI resolved to when the served version was chosen */
  private servedRef: ModelVersionRef;

  constructor(private readonly options: FollowerOptions, initial: ModelVersionRef) {
    this.servedRef = initial;
  }

  start(): void {
    if (this.options.intervalSeconds > 0) this.schedule(this.options.intervalSeconds);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private schedule(seconds: number): void {
    if (this.stopped || this.options.intervalSeconds <= 0) return;
    this.timer = setTimeout(() => void this.poll(), seconds * 1000);
    this.timer.unref();
  }

  /** One poll: returns after a swap, a failure, or nothing to do. */
  async poll(): Promise<void> {
    const { uri, served, logger, metrics, registry } = this.options;
    const model = served.name;
    let ref: ModelVersionRef;
    try {
      ref = await traced('registry.poll', () => resolveModelVersion(uri, registry), { 'flowgate.model_uri': uri });
    } catch (err) {
      metrics.pollErrors.inc({ model });
      logger.warn({ err, uri }, `registry poll failed; still serving version ${this.servedRef.version ?? '(path)'}`);
      return this.retryLater();
    }
    if (ref.version === this.servedRef.version && ref.artifactUri === this.servedRef.artifactUri) {
      this.failures = 0;
      return this.schedule(this.options.intervalSeconds);
    }
    logger.info({ uri, from: this.servedRef.version, to: ref.version }, `${uri} now points at version ${ref.version}: loading it`);
    try {
      const next = await loadVersion(ref, { registry, logger, metrics });
      if (this.stopped) return void (await next.retire());
      const previous = served.current();
      this.servedRef = ref;
      metrics.reloads.inc({ model, outcome: 'success' });
      logger.info({ uri, version: ref.version, flavor: next.flavor }, `now serving ${model} version ${ref.version}`);
      this.failures = 0;
      this.schedule(this.options.intervalSeconds);
      await served.swap(next);
      if (previous !== null) metrics.forgetVersion(previous);
      metrics.markServed(next);
    } catch (err) {
      metrics.reloads.inc({ model, outcome: 'failure' });
      logger.error({ err, uri, version: ref.version }, `cannot load version ${ref.version} of ${uri}; still serving version ${this.servedRef.version}`);
      this.retryLater();
    }
  }

  /** Backoff: 1 s, 2 s, 4 s ... but never later than the regular poll. */
  private retryLater(): void {
    this.failures++;
    this.schedule(Math.min(this.options.intervalSeconds, 2 ** Math.min(this.failures - 1, MAX_BACKOFF_EXPONENT)));
  }
}
