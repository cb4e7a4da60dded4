/**
 * The models the gateway serves, one per model URI, shared by every variant and shadow
 * that names the URI. Each is loaded once, followed by its own Follower (a moved stage or
 * alias is loaded, warmed up and swapped in), and released when no variant names it anymore.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { resolveModel, type ProgressCallback, type RegistryOptions } from '../registry/index.js';
import { Follower, loadVersion } from '../serving/follower.js';
import type { Runtime, RuntimeOptions } from '../model/flavor.js';
import { ServedModel } from '../serving/served-model.js';

export interface PoolOptions {
  registry: RegistryOptions;
  logger: Logger;
  metrics: Metrics;
  pollIntervalSeconds: number;
  /** download progress of first loads */
  onProgress?: ProgressCallback;
  /** how model versions are run */
  runtime?: RuntimeOptions;
}

/** Variants name a model by its URI and, when they force one, the runtime that runs it. */
export function modelKey(uri: string, runtime: Runtime | undefined): string {
  return runtime === undefined ? uri : `${uri}\u0000${runtime}`;
}

/** One followed model URI. */
export class FollowedModel {
  /** variants and shadows using it */
  refs = 0;

  constructor(
    readonly key: string,
    readonly uri: string,
    readonly served: ServedModel,
    readonly follower: Follower,
  ) {}
}

export class ModelPool {
  private readonly models = new Map<string, Promise<FollowedModel>>();

  constructor(private readonly options: PoolOptions) {}

  /** The model of `uri`, loaded on first use; each call takes a reference. */
  async acquire(uri: string, runtime?: Runtime): Promise<FollowedModel> {
    const key = modelKey(uri, runtime);
    let pending = this.models.get(key);
    if (pending === undefined) {
      pending = this.load(key, uri, runtime);
      this.models.set(key, pending);
      pending.catch(() => this.models.delete(key));
    }
    const model = await pending;
    model.refs++;
    return model;
  }

  /** Drops a reference; the last one stops following the URI and retires the model after its requests drain. */
  async release(model: FollowedModel): Promise<void> {
    if (--model.refs > 0) return;
    this.models.delete(model.key);
    model.follower.stop();
    const version = model.served.current();
    await model.served.close();
    if (version !== null) this.options.metrics.forgetVersion(version);
  }

  private async load(key: string, uri: string, forced: Runtime | undefined): Promise<FollowedModel> {
    const { registry, logger, metrics, pollIntervalSeconds, onProgress } = this.options;
    const runtime = forced === undefined ? this.options.runtime : { ...this.options.runtime, runtime: forced };
    // resolveModel downloads with progress and, when the registry is unreachable, falls
    // back to the version this URI resolved to last time (from the cache).
    const ref = await resolveModel(uri, registry, onProgress);
    const version = await loadVersion(ref, { registry, logger, metrics, runtime });
    const served = new ServedModel(version.identity.name);
    await served.swap(version);
    metrics.markServed(version);
    const follower = new Follower({ uri, served, registry, intervalSeconds: pollIntervalSeconds, logger, metrics, runtime }, ref);
    follower.start();
    return new FollowedModel(key, uri, served, follower);
  }
}
