/**
 * One model version loaded for serving (not the registry's record of it: that is the
 * registry's `ModelVersion`): its files read, its flavor loaded, its signature compiled.
 * `predict` is the whole model-side request path: schema enforcement, params, the flavor,
 * and MLflow's mapping of the model's failures to error bodies.
 *
 * Lifetime is explicit: a version is reference-counted. Whoever loads it holds the first
 * reference and gives it up with `retire()`; every prediction holds a `Lease` from
 * `lease()` until its work has ended (even past a timeout's answer). The flavor's model is
 * disposed when the last reference goes.
 *
 * A version of a CPU-bound flavor served with replica threads (`-w N`) is loaded in them
 * first, so that a large or broken version loads (or fails) off the event loop; the main
 * thread loads its own copy, for small requests answered inline, only when its files are
 * small (INLINE_LOAD_MAX_BYTES: a load of about as many ms as the budget of a hot reload).
 * Without that copy every request runs on a thread.
 * `offload` runs a whole request on one of them. A version whose model is
 * `batchable` and that is served with batching on has a Batcher on the main thread, which
 * its concurrent predictions go through.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { flavorForModel } from '../../flavors/index.js';
import { MlflowError } from '../errors.js';
import type { ModelInput, ModelOutput } from '../model/data.js';
import { describeInput } from '../model/describe.js';
import { enforceSchema } from '../model/enforce.js';
import type { LoadedModel, RuntimeOptions } from '../model/flavor.js';
import { readMLmodel, type MLmodel } from '../model/mlmodel.js';
import { enforceParams } from '../model/params.js';
import type { Schema } from '../model/signature.js';
import type { BytesPayload, CodecName } from './codec.js';
import type { Metrics } from '../metrics.js';
import { Batcher } from './batcher.js';
import { Timeout } from './deadline.js';
import { isOwnBug } from './failure.js';
import type { ReplicaJob, ReplicaPool } from './replicas.js';

export interface ModelIdentity {
  /** registered model name, or the directory name for a plain path */
  name: string;
  /** registry version, or null for a plain path */
  version: string | null;
  uri: string;
  localPath: string;
}

/**
 * A CPU-bound version whose files add up to at most this is loaded on the main thread too.
 * Loads take about 0.5 ms per KB of pickle or booster (sk_iris_gb: 48 KB in 26-34 ms), so
 * this keeps the pause of a reload on the event loop near its 50 ms budget.
 */
const INLINE_LOAD_MAX_BYTES = 64 * 1024;

const UNEXPECTED_ERROR =
  'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.';

/** The bytes of the files under `dir`, stopping once past INLINE_LOAD_MAX_BYTES. */
async function filesSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
    if (total > INLINE_LOAD_MAX_BYTES) break;
  }
  return total;
}

/** A reference to a version held for one prediction; `release()` once its work has ended. */
export class Lease {
  private held = true;

  constructor(readonly version: LoadedVersion) {}

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.version.drop();
  }
}

export class LoadedVersion {
  /** the loader's reference, then one per lease */
  private refs = 1;
  private retired = false;
  private readonly disposed: Promise<void>;
  private dispose!: () => void;
  /** concurrent predictions run in batches through it, when the model opts in */
  readonly batcher: Batcher | null;

  private constructor(
    readonly identity: ModelIdentity,
    readonly mlmodel: MLmodel,
    readonly flavor: string,
    /** the main thread's copy; null when only its replicas hold it */
    private readonly model: LoadedModel | null,
    /** its replicas' key in the pool, when it has replicas */
    private readonly replicas: { pool: ReplicaPool; key: number } | null,
    options: RuntimeOptions,
    metrics: Metrics | null,
  ) {
    const batching = options.batching;
    this.batcher =
      model !== null && model.batchable === true && batching !== undefined && batching.maxBatchSize > 1
        ? new Batcher((input, params) => model.predict(input, params), batching, metrics?.batchObserver(identity.name) ?? null)
        : null;
    this.disposed = new Promise<void>((resolve, reject) => {
      this.dispose = () => Promise.all([model?.dispose(), replicas?.pool.drop(replicas.key)]).then(() => resolve(), reject);
    });
    this.disposed.catch(() => undefined); // awaited by retire(); never an unhandled rejection
  }

  /** `replicas`: the serving replica threads, which load it too when its flavor is CPU-bound; `options`: how it is run; `metrics`: where its batches are counted. */
  static async load(identity: ModelIdentity, logger: Logger, replicas: ReplicaPool | null = null, options: RuntimeOptions = {}, metrics: Metrics | null = null): Promise<LoadedVersion> {
    const mlmodel = await readMLmodel(identity.localPath);
    const flavor = await flavorForModel(mlmodel, options.runtime);
    const loadHere = () => flavor.load(identity.localPath, mlmodel, { ...options, logger, modelName: identity.name });
    if (replicas === null || !flavor.cpuBound) return new LoadedVersion(identity, mlmodel, flavor.name, await loadHere(), null, options, metrics);
    // Small files load in a few ms: the main thread holds a copy for small requests. Large ones only the threads load.
    const small = (await filesSize(identity.localPath)) <= INLINE_LOAD_MAX_BYTES;
    // The replica threads load it while the main thread does: a cold start waits for one load, not two in a row.
    const replicated = replicas.load(identity).then((key) => ({ key }), (err: unknown) => ({ err }));
    let model: LoadedModel | null = null;
    if (small) {
      try {
        model = await loadHere();
      } catch (err) {
        const replica = await replicated;
        if ('key' in replica) await replicas.drop(replica.key);
        throw err;
      }
    }
    const replica = await replicated;
    if ('err' in replica) {
      // A large version is never loaded on the main thread: its failure in the threads is the version's.
      if (model === null) throw replica.err;
      // The main thread loaded it: serve it there (a native addon may refuse worker threads).
      logger.warn({ err: replica.err, model: identity.name, version: identity.version }, 'replica threads cannot load this version: it is served on the main thread only');
      return new LoadedVersion(identity, mlmodel, flavor.name, model, null, options, metrics);
    }
    return new LoadedVersion(identity, mlmodel, flavor.name, model, { pool: replicas, key: replica.key }, options, metrics);
  }

  /** Whether it has replicas: requests can run on a replica thread. */
  get offloads(): boolean {
    return this.replicas !== null;
  }

  /** Whether the main thread holds a copy: requests can run inline (else they all go to its replicas). */
  get inline(): boolean {
    return this.model !== null;
  }

  /** Runs a whole request (a body in `codec`'s protocol, its buffer handed over to the thread) on a replica thread; only when it `offloads`. */
  offload(codec: CodecName, body: BytesPayload, endpoint: string, wantPredictions: boolean): ReplicaJob {
    if (this.replicas === null) throw new Error(`version ${this.identity.version ?? this.identity.localPath} of ${this.identity.name} has no replicas`);
    return this.replicas.pool.score(this.replicas.key, codec, body, endpoint, wantPredictions);
  }

  get signature(): MLmodel['signature'] {
    return this.mlmodel.signature;
  }

  /** The schema requests are enforced against: none when the signature comes from a type hint. */
  get inputSchema(): Schema | null {
    return this.mlmodel.signatureFromTypeHint ? null : (this.signature?.inputs ?? null);
  }

  /** A new reference for one prediction. Not after `retire()`: leases are taken from a ServedModel, which stops handing this version out first. */
  lease(): Lease {
    if (this.retired) throw new Error(`version ${this.identity.version ?? this.identity.localPath} of ${this.identity.name} is retired`);
    this.refs++;
    return new Lease(this);
  }

  /** @internal Lease.release */
  drop(): void {
    if (--this.refs === 0) this.dispose();
  }

  /** Gives up the loader's reference; resolves once every lease is released and the model disposed. */
  retire(): Promise<void> {
    if (!this.retired) {
      this.retired = true;
      this.drop();
    }
    return this.disposed;
  }

  /**
   * Runs predict for a decoded request (`deadline`: the performance.now() past which a
   * batcher drops it unrun). The model's failures come out as MlflowErrors, as
   * MLflow's scoring server reports them (the model raised: 400); a JavaScript engine error
   * (TypeError, RangeError, ...) is flowgate's own bug and is rethrown as it is.
   */
  async predict(input: ModelInput, rawParams: unknown, deadline = Infinity): Promise<ModelOutput> {
    if (this.model === null) throw new Error(`version ${this.identity.version ?? this.identity.localPath} of ${this.identity.name} is held by its replicas only: predict runs there`);
    const schema = this.inputSchema;
    const enforced = schema === null ? input : enforceSchema(input, schema);
    const params = enforceParams(rawParams, this.signature?.params ?? null);
    try {
      return await (this.batcher !== null ? this.batcher.predict(enforced, params, deadline) : this.model.predict(enforced, params));
    } catch (err) {
      if (err instanceof MlflowError) {
        throw new MlflowError(err.errorCode, `Failed to predict data '${describeInput(enforced)}'. \nError: ${err.message}`);
      }
      if (isOwnBug(err) || err instanceof Timeout) throw err; // a Timeout: the batcher dropped it unrun (504)
      const e = err as Error;
      throw new MlflowError('BAD_REQUEST', UNEXPECTED_ERROR, { stackTrace: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` });
    }
  }
}
