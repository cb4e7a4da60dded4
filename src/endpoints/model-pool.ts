/**
 * The models the gateway serves, one per model URI, shared by every variant and shadow
 * that names the URI. Each is loaded once, followed by its own Follower (a moved stage or
 * alias is loaded, warmed up and swapped in), and released when no variant names it anymore.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { resolveModel, type ProgressCallback, type RegistryOptions } from '../registry/index.js';
import { Follower, loadVersion } from '../serving/follower.js';
import { traced } from '../tracing.js';
import { ServedModel } from '../serving/served-model.js';

export interface PoolOptions {
  registry: RegistryOptions;
  logger: Logger;
  metrics: Metrics;
  pollIntervalSeconds: number;
  /** download progress of first loads */
  onProgress?: ProgressCallback;
}

/** One followed model URI. */
export class FollowedModel {
  /** variants and shadows using it */
  refs = 0;

  constructor(
    readonly uri: string,
    readonly served: ServedModel,
    readonly follower: Follower,
  ) {}
}

export class ModelPool {
  private readonly models = new Map<string, Promise<FollowedModel>>();

  constructor(private readonly options: PoolOptions) {}

  /** The model of `uri`, loaded on first use; each call takes a reference. */
  async acquire(uri: string): Promise<FollowedModel> {
    let pending = this.models.get(uri);
    if (pending === undefined) {
      pending = this.load(uri);
      this.models.set(uri, pending);
      pending.catch(() => this.models.delete(uri));
    }
    const model = await pending;
    model.refs++;
    return model;
  }

  /** Drops a reference; the last one stops following the URI and retires the model after its requests drain. */
  async release(model: FollowedModel): Promise<void> {
    if (--model.refs > 0) return;
    this.models.delete(model.uri);
    model.follower.stop();
    const version = model.served.current();
    await model.served.close();
    if (version !== null) this.options.metrics.forgetVersion(version);
  }

  private async load(uri: string): Promise<FollowedModel> {
    const { registry, logger, metrics, pollIntervalSeconds, onProgress } = this.options;
    // resolveModel downloads with progress and, when the registry is unreachable, falls
    // back to the version this URI resolved to last time (from the cache).
    const ref = await traced('registry.resolve', () => resolveModel(uri, registry, onProgress), { 'flowgate.model_uri': uri });
    const version = await loadVersion(ref, { registry, logger, metrics });
    const served = new ServedModel(version.identity.name);
    await served.swap(version);
    metrics.markServed(version);
    const follower = new Follower({ uri, served, registry, intervalSeconds: pollIntervalSeconds, logger, metrics }, ref);
    follower.start();
    return new FollowedModel(uri, served, follower);
  }
}
