/**
 * The models the gateway serves, one per model URI, shared by every variant and shadow
 * that names the URI. Each is followed by its own Follower, which loads it in the
 * background (a moved stage or alias is loaded, warmed up and swapped in), and released
 * when no variant names it anymore. After every swap the download cache is pruned, keeping
 * what any followed model serves or is loading.
 */
import type { Logger } from 'pino';
import { pruneCache, type CacheLimits } from '../artifacts/index.js';
import type { Metrics } from '../metrics.js';
import type { RuntimeOptions } from '../model/flavor.js';
import type { ProgressCallback, RegistryOptions } from '../registry/index.js';
import { parseModelsUri, uriScheme } from '../registry/uri.js';
import { Follower } from '../serving/follower.js';
import type { ReplicaPool } from '../serving/replicas.js';
import { ServedModel } from '../serving/served-model.js';
import type { ModelUse } from './config.js';

export interface PoolOptions {
  registry: RegistryOptions;
  logger: Logger;
  metrics: Metrics;
  pollIntervalSeconds: number;
  /** the serving replica threads (-w N), null to serve on the main thread only */
  replicas: ReplicaPool | null;
  /** what the download cache keeps besides the versions in use */
  cache?: CacheLimits;
  /** download progress of first loads */
  onProgress?: ProgressCallback;
  /** how model versions are run */
  runtime?: RuntimeOptions;
}

/** Variants name a model by its URI and, when they set them, the runtime and the batching that run it. */
export function modelKey(use: ModelUse): string {
  let key = use.runtime === undefined ? use.model : `${use.model}\u0000${use.runtime}`;
  if (use.batching !== undefined) key += `\u0000batch:${use.batching.maxBatchSize ?? ''}:${use.batching.maxBatchDelayMs ?? ''}`;
  return key;
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

/** A metrics label for a URI before its first version is known: the registered name, else the URI. */
function labelOf(uri: string): string {
  if (uriScheme(uri) === 'models') {
    try {
      const parsed = parseModelsUri(uri);
      if (parsed.kind !== 'logged-model') return parsed.name;
    } catch {
      // the follower reports the bad URI
    }
  }
  return uri;
}

export class ModelPool {
  private readonly models = new Map<string, FollowedModel>();
  private pruning: Promise<void> = Promise.resolve();

  constructor(private readonly options: PoolOptions) {}

  /** The model of `uri`, its first load started on first use; each call takes a reference. */
  acquire(use: ModelUse): FollowedModel {
    const key = modelKey(use);
    let model = this.models.get(key);
    if (model === undefined) {
      model = this.follow(key, use);
      this.models.set(key, model);
    }
    model.refs++;
    return model;
  }

  /** Drops a reference; the last one stops following the URI and retires the model after its requests drain. */
  async release(model: FollowedModel): Promise<void> {
    if (--model.refs > 0) return;
    if (this.models.get(model.key) === model) this.models.delete(model.key);
    model.follower.stop();
    const version = model.served.current();
    await model.served.close();
    if (version !== null) this.options.metrics.forgetVersion(version);
  }

  /** Removes cached versions no followed model uses beyond the configured limits (runs one at a time). */
  prune(): Promise<void> {
    const { cache, registry, logger, metrics } = this.options;
    if (cache === undefined) return Promise.resolve();
    this.pruning = this.pruning.then(async () => {
      const inUse = [...this.models.values()].flatMap((m) => m.follower.filesInUse());
      await pruneCache(registry.cacheDir, inUse, cache, logger).then(
        (bytes) => metrics.cacheBytes.set(bytes),
        (err: unknown) => logger.warn({ err, cacheDir: registry.cacheDir }, 'could not prune the model cache'),
      );
    });
    return this.pruning;
  }

  private follow(key: string, { model: uri, runtime: forced, batching }: ModelUse): FollowedModel {
    const { registry, logger, metrics, pollIntervalSeconds, onProgress, replicas } = this.options;
    let runtime = forced === undefined ? this.options.runtime : { ...this.options.runtime, runtime: forced };
    if (batching !== undefined) {
      const base = runtime?.batching ?? { maxBatchSize: 1, maxBatchDelayMs: 0 };
      runtime = { ...runtime, batching: { ...base, ...batching } };
    }
    const served = new ServedModel(labelOf(uri));
    const follower = new Follower({
      uri,
      served,
      registry,
      intervalSeconds: pollIntervalSeconds,
      logger,
      metrics,
      onProgress,
      replicas,
      runtime,
      onSwap: () => void this.prune(),
    });
    follower.start();
    return new FollowedModel(key, uri, served, follower);
  }
}
